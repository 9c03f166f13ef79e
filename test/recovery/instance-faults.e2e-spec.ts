import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { io, type Socket } from 'socket.io-client';
import { RealtimeModule, WebsocketBroadcastService, type RealtimeModuleOptions } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { FailoverProxy } from '../utils/failover-proxy.js';
import { buildLibraryForInstances, InstanceProcess, type CompiledLibrary } from '../utils/instance-process.js';
import { RedisServer } from '../utils/redis-server.js';
import { uniquePrefix } from '../utils/test-bed.js';
import { NumberedReceiver, total } from './numbered.js';

const secret = 'instance-faults-secret';
const CLIENTS = 20;
const MESSAGES = 400;

/**
 * Instances in their own processes behind a load balancer, clients that reconnect by themselves, and a
 * queue worker (this test process) sending a numbered series to all of them the three ways a message
 * reaches a client: to everyone, to a room, to users. Each client must get the whole series.
 */
describe('recovery when an instance goes away', () => {
  let redis: RedisServer;
  let library: CompiledLibrary;
  let options: RealtimeModuleOptions;
  let worker: INestApplicationContext;
  let proxy: FailoverProxy;
  const instances: InstanceProcess[] = [];
  const clients: Socket[] = [];

  beforeAll(async () => {
    [redis, library] = await Promise.all([RedisServer.start(), buildLibraryForInstances()]);
  }, 60_000);
  afterAll(async () => {
    await library.remove();
    await redis.stop();
  });
  beforeEach(async () => {
    options = {
      redis: { url: redis.url, keyPrefix: uniquePrefix('faults') },
      auth: { secret },
      transports: ['websocket'],
      recovery: { maxDisconnectionMs: 30_000 },
    };
    worker = await NestFactory.createApplicationContext(RealtimeModule.forRoot(options), { logger: ['error'] });
  });
  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await proxy?.close();
    await Promise.all(instances.splice(0).map((instance) => instance.kill()));
    await worker.close();
  });

  async function start(): Promise<InstanceProcess> {
    const instance = await InstanceProcess.start(library, options);
    instances.push(instance);
    return instance;
  }

  /** Users `user-0`.. each with one socket in the room `lobby`, spread over the instances by the proxy. */
  async function connectClients(): Promise<NumberedReceiver[]> {
    const receivers: NumberedReceiver[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const socket = io(proxy.url, {
        auth: { token: signTestToken({ sub: `user-${i}` }, secret) },
        transports: ['websocket'],
        reconnectionDelay: 50,
        reconnectionDelayMax: 200,
      });
      clients.push(socket);
      receivers.push(new NumberedReceiver(socket, 'tick'));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      await socket.emitWithAck('join', { room: 'lobby' });
    }
    return receivers;
  }

  /** Sends 1..MESSAGES, one every 5 ms, and runs `faults` at the given numbers while it goes on. */
  async function sendSeries(faults: Record<number, () => Promise<void>>): Promise<void> {
    const broadcasts = worker.get(WebsocketBroadcastService);
    const users = Array.from({ length: CLIENTS }, (_, i) => `user-${i}`);
    for (let n = 1; n <= MESSAGES; n++) {
      if (n % 3 === 0) await broadcasts.broadcast('tick', { n });
      else if (n % 3 === 1) await broadcasts.sendToRoom('lobby', 'tick', { n });
      else await broadcasts.sendToUsers(users, 'tick', { n });
      await faults[n]?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('SIGKILL of an instance: its clients recover on another with every message, once, in order', async () => {
    const [a, b] = [await start(), await start()];
    proxy = await FailoverProxy.start([a.port, b.port]);
    const receivers = await connectClients();
    const ids = clients.map((client) => client.id);
    const dropped = new Set<Socket>();
    clients.forEach((client) => client.once('disconnect', () => dropped.add(client)));

    await sendSeries({
      100: async () => {
        proxy.setBackends([b.port]);
        await a.kill();
      },
    });
    await Promise.all(receivers.map((receiver) => receiver.until(MESSAGES)));

    const counts = receivers.map((receiver) => receiver.counts(1, MESSAGES));
    const ofKilled = receivers.filter((receiver) => dropped.has(receiver.socket));
    console.log(`SIGKILL: ${ofKilled.length} clients moved`, total(ofKilled.map((r) => r.counts(1, MESSAGES))), 'all:', total(counts));
    expect(ofKilled.length).toBe(CLIENTS / 2);
    expect(ofKilled.every((receiver) => receiver.socket.recovered)).toBe(true);
    expect(clients.map((client) => client.id)).toEqual(ids);
    expect(total(counts)).toEqual({ received: CLIENTS * MESSAGES, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 60_000);

  it('a rolling restart (SIGTERM, start again) of both instances loses nothing', async () => {
    const [a, b] = [await start(), await start()];
    proxy = await FailoverProxy.start([a.port, b.port]);
    const receivers = await connectClients();
    const ids = clients.map((client) => client.id);

    let newA: InstanceProcess;
    await sendSeries({
      100: async () => {
        proxy.setBackends([b.port]);
        await a.terminate();
        newA = await start();
        proxy.setBackends([b.port, newA.port]);
      },
      250: async () => {
        proxy.setBackends([newA.port]);
        await b.terminate();
        const newB = await start();
        proxy.setBackends([newA.port, newB.port]);
      },
    });
    await Promise.all(receivers.map((receiver) => receiver.until(MESSAGES)));

    const counts = total(receivers.map((receiver) => receiver.counts(1, MESSAGES)));
    console.log('rolling restart:', counts);
    expect(clients.every((client) => client.recovered)).toBe(true);
    expect(clients.map((client) => client.id)).toEqual(ids);
    expect(counts).toEqual({ received: CLIENTS * MESSAGES, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 90_000);
});
