import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';

/** What a recovery test needs of an app: rooms, a gateway's room emit, and a look at the socket's state. */
@WebSocketGateway()
export class RecoveryGateway {
  @WebSocketServer() server!: Server;

  @SubscribeMessage('join')
  async join(@ConnectedSocket() client: Socket, @MessageBody() room: string): Promise<string> {
    await client.join(room);
    return 'joined';
  }

  @SubscribeMessage('note')
  note(@ConnectedSocket() client: Socket, @MessageBody() note: string): string {
    (client.data as { note?: string }).note = note;
    return 'noted';
  }

  /** A gateway's own `server.to(room).emit()`. */
  @SubscribeMessage('to-room')
  toRoom(@MessageBody() body: { room: string; n: number }): void {
    this.server.to(body.room).emit('relayed', { n: body.n });
  }

  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() client: Socket): { id: string; rooms: string[]; data: unknown } {
    return { id: client.id, rooms: [...client.rooms].sort(), data: client.data };
  }
}
