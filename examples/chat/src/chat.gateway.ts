import { MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server } from 'socket.io';

export interface ChatMessage {
  name: string;
  text: string;
  at: string;
}

/** Relays chat messages to everyone on every instance. */
@WebSocketGateway({ namespace: '/chat' })
export class ChatGateway {
  @WebSocketServer() server!: Server;

  @SubscribeMessage('chat:send')
  send(@MessageBody() body: { name?: unknown; text?: unknown }): { status: 'ok' } {
    const message: ChatMessage = {
      name: String(body?.name ?? 'anonymous').slice(0, 40),
      text: String(body?.text ?? '').slice(0, 500),
      at: new Date().toISOString(),
    };
    this.server.emit('chat:message', message);
    return { status: 'ok' };
  }
}
