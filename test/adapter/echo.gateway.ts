import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';

/** The smallest gateway that shows what crosses instances: acks, server-wide and room emits. */
@WebSocketGateway()
export class EchoGateway {
  @WebSocketServer() server!: Server;

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return data;
  }

  @SubscribeMessage('shout')
  shout(@MessageBody() data: unknown): void {
    this.server.emit('shout', data);
  }

  @SubscribeMessage('join')
  async join(@ConnectedSocket() client: Socket, @MessageBody() room: string): Promise<string> {
    await client.join(room);
    return 'joined';
  }

  @SubscribeMessage('to-room')
  toRoom(@MessageBody() body: { room: string; data: unknown }): void {
    this.server.to(body.room).emit('room', body.data);
  }
}
