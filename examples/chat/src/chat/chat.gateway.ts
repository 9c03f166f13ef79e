import { UsePipes, ValidationPipe } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { PresenceService, RealtimeException, WebsocketBroadcastService, WsAuth, WsUser } from 'nestjs-realtime';
import type { Socket } from 'socket.io';
import { displayName, type DemoUser } from '../auth/demo-users.js';
import { AnnounceDto, RoomDto, SendMessageDto } from './chat-messages.dto.js';

const chat = { namespace: '/chat' };

/** Chat in rooms; clients join rooms with `room:join` (authorized in app.module.ts). */
@WebSocketGateway(chat)
@WsAuth()
@UsePipes(new ValidationPipe())
export class ChatGateway {
  constructor(
    private readonly broadcast: WebsocketBroadcastService,
    private readonly presence: PresenceService,
  ) {}

  @SubscribeMessage('chat:send')
  async send(@WsUser() user: DemoUser, @ConnectedSocket() client: Socket, @MessageBody() body: SendMessageDto): Promise<{ status: 'ok' }> {
    if (!client.rooms.has(body.room)) throw new RealtimeException('FORBIDDEN', `Join ${body.room} first`);
    const message = { room: body.room, userId: user.sub, name: user.name, text: body.text, at: new Date().toISOString() };
    await this.broadcast.sendToRoom(body.room, 'chat:message', message, chat);
    return { status: 'ok' };
  }

  @SubscribeMessage('chat:typing')
  async typing(@WsUser() user: DemoUser, @ConnectedSocket() client: Socket, @MessageBody() body: RoomDto): Promise<void> {
    const typing = { room: body.room, userId: user.sub, name: user.name };
    await this.broadcast.sendToRoom(body.room, 'chat:typing', typing, { ...chat, except: client.id });
  }

  /** Who is in the room now, with the names the page shows; `presence:diff` tells of changes after. */
  @SubscribeMessage('chat:who')
  async who(@MessageBody() body: RoomDto): Promise<{ userId: string; name: string }[]> {
    return (await this.presence.onlineIn(body.room)).map((userId) => ({ userId, name: displayName(userId) }));
  }

  @WsAuth({ roles: ['admin'] })
  @SubscribeMessage('chat:announce')
  async announce(@WsUser('name') name: string, @MessageBody() body: AnnounceDto): Promise<{ status: 'ok' }> {
    await this.broadcast.broadcast('chat:announcement', { text: body.text, from: name }, chat);
    return { status: 'ok' };
  }
}
