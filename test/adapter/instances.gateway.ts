import { SubscribeMessage, WebSocketGateway, WebSocketServer, type OnGatewayInit } from '@nestjs/websockets';
import type { Server } from 'socket.io';

/**
 * Asks over the adapter as an app may: the other instances (`serverSideEmitWithAck`; each answers
 * 'pong'), or every client (a broadcast with acks; the answers sorted).
 */
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

  @SubscribeMessage('ask-clients')
  async askClients(): Promise<unknown> {
    try {
      return ((await this.server.timeout(2000).emitWithAck('question')) as string[]).sort();
    } catch (error) {
      return `failed: ${(error as Error).message}`;
    }
  }
}
