import { Body, Controller, Headers, HttpCode, Param, Post, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import jwt from 'jsonwebtoken';
import { WebsocketBroadcastService } from 'nestjs-realtime';

/** Sends a notification to a user over HTTP, wherever (on whichever instance) they are connected. */
@Controller('api/notifications')
export class NotificationsController {
  constructor(
    private readonly broadcast: WebsocketBroadcastService,
    private readonly config: ConfigService,
  ) {}

  @Post(':userId')
  @HttpCode(202)
  async notify(
    @Param('userId') userId: string,
    @Body() body: { text?: string },
    @Headers('authorization') authorization?: string,
  ): Promise<{ sent: true }> {
    const sender = this.sender(authorization);
    const text = String(body?.text ?? '').slice(0, 200);
    await this.broadcast.sendToUser(
      userId,
      'notification',
      { text, from: sender, at: new Date().toISOString() },
      { namespace: '/notifications' },
    );
    return { sent: true };
  }

  private sender(authorization?: string): string {
    try {
      const token = authorization?.replace(/^Bearer /, '') ?? '';
      const payload = jwt.verify(token, this.config.getOrThrow<string>('JWT_SECRET'), { algorithms: ['HS256'] }) as { name: string };
      return payload.name;
    } catch {
      throw new UnauthorizedException('Log in first');
    }
  }
}
