import { SubscribeMessage, WebSocketGateway, WebSocketServer, type OnGatewayInit } from '@nestjs/websockets';
import type { Server } from 'socket.io';

/** Asks the other instances over the adapter (`serverSideEmitWithAck`), as an app may; each answers 'pong'. */
@WebSocketGateway()
export class InstancesGateway implements OnGatewayInit {
  @WebSocketServer() server!: Server;

  afterInit(server: Server): void {
    server.of('/').on('ping', (ack: (answer: string) => void) => ack('pong'));
  }

  @SubscribeMessage('ask-instances')
  async ask(): Promise<unknown> {
    try {
      return await this.server.serverSideEmitWithAck('ping');
    } catch (error) {
      return `failed: ${(error as Error).message}`;
    }
  }
}
