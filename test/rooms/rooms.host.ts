import { Body, Controller, Param, Post } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { WebsocketBroadcastService, WsAuth } from '../../lib/index.js';

/** Sends to a room on behalf of a client, leaving the sender out. */
@WebSocketGateway()
@WsAuth()
export class RoomsGateway {
  constructor(private readonly broadcast: WebsocketBroadcastService) {}

  @SubscribeMessage('say')
  async say(@ConnectedSocket() client: Socket, @MessageBody() body: { room: string; text: string }): Promise<string> {
    await this.broadcast.sendToRoom(body.room, 'said', body.text, { except: client.id });
    return 'ok';
  }

  /** One message through the service, not awaited, then one straight to the socket. */
  @SubscribeMessage('two steps')
  twoSteps(@ConnectedSocket() client: Socket): void {
    void this.broadcast.sendToRoom(client.id, 'step', 1);
    client.emit('step', 2);
  }
}

/** The HTTP side of an app: sends a notification to a user wherever they are connected. */
@Controller('notify')
export class NotifyController {
  constructor(private readonly broadcast: WebsocketBroadcastService) {}

  @Post(':userId')
  async notify(@Param('userId') userId: string, @Body() body: { text: string }): Promise<{ sent: true }> {
    await this.broadcast.sendToUser(userId, 'notification', body);
    return { sent: true };
  }
}
