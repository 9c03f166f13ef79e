import { Body, Controller, Post, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import jwt from 'jsonwebtoken';
import { findDemoUser } from './demo-users.js';

/** Issues demo JWTs; the socket handshake verifies them with the same JWT_SECRET. */
@Controller('api/login')
export class AuthController {
  constructor(private readonly config: ConfigService) {}

  @Post()
  login(@Body() body: { username?: string; password?: string }): { token: string; user: { sub: string; name: string; roles: string[] } } {
    const user = findDemoUser(String(body?.username ?? ''), String(body?.password ?? ''));
    if (!user) throw new UnauthorizedException('Invalid username or password');
    const token = jwt.sign(user, this.config.getOrThrow<string>('JWT_SECRET'), { algorithm: 'HS256', expiresIn: '8h' });
    return { token, user };
  }
}
