import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** Options of {@link connectClient}; any socket.io-client option may be added. */
export interface ConnectClientOptions extends Partial<ManagerOptions & SocketOptions> {
  /** JWT sent as `handshake.auth.token`. */
  token?: string;
  /**
   * Namespace to connect to.
   * @default '/'
   */
  namespace?: string;
}

/**
 * Connects a socket.io client to a listening app (or a URL) over WebSocket. Resolves on `connect`;
 * rejects with the `connect_error` (its `data` holds the refusal code) and closes the socket.
 * @example const socket = await connectClient(app, { token: signTestToken({ sub: 'u1' }, secret) });
 */
export async function connectClient(target: INestApplication | string, options: ConnectClientOptions = {}): Promise<Socket> {
  const { token, namespace = '/', ...socketOptions } = options;
  const socket = io(new URL(namespace, baseUrl(target)).toString(), {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(token !== undefined && { auth: { token } }),
    ...socketOptions,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

function baseUrl(target: INestApplication | string): string {
  if (typeof target === 'string') return target;
  const address = (target.getHttpServer() as Server).address() as AddressInfo | null;
  if (!address) throw new Error('connectClient: the app is not listening; call `await app.listen(0)` first.');
  return `http://127.0.0.1:${address.port}`;
}
