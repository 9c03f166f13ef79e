import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';

/** A gateway on dynamic namespaces (`/tenant-<name>`): each is opened on an instance by its first client there. */
@WebSocketGateway({ namespace: /^\/tenant-\w+$/ })
export class TenantGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return data;
  }

  @SubscribeMessage('shout')
  shout(@ConnectedSocket() client: Socket, @MessageBody() data: unknown): void {
    client.nsp.emit('shout', data);
  }
}
