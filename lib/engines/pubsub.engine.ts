import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import type { Namespace } from 'socket.io';
import { ChannelSubscriptions, followSubscriptions } from './channel-subscriptions.js';
import type { AdapterConstructor, RealtimeEngine } from './realtime-engine.interface.js';
import { askingSafelyWhileDown } from './adapter-while-down.js';

/**
 * Redis pub/sub: `@socket.io/redis-adapter` and, without sockets, `@socket.io/redis-emitter` on the
 * same channels. Both libraries drop the promises of their publishes (and the adapter those of its
 * subscriptions), so they get views of the connections that report such failures as an outage.
 */
export const pubSubEngine: RealtimeEngine = {
  adapterConnections: {
    names: ['pub', 'sub'],
    whileDown: 'local clients are still served, cross-instance messages are dropped until it returns',
  },

  publisherConnections: { names: ['emitter'], whileDown: 'messages to clients are dropped until it returns' },

  async createAdapter(connections, options) {
    const [pub, sub] = connections.clients;
    const subscriptions = new ChannelSubscriptions();
    const adapterFor = createAdapter(
      connections.reportingFailuresOf(pub, ['publish']),
      subscriptions.follow(connections.subscriberView(sub)),
      {
        key: options.keyPrefix,
        requestsTimeout: options.requestsTimeout,
      },
    );
    const pubSubAdapter = function (namespace: Namespace) {
      const adapter = adapterFor(namespace);
      followSubscriptions(adapter, subscriptions);
      return adapter;
    } as AdapterConstructor;
    return askingSafelyWhileDown(pubSubAdapter, connections);
  },

  publisher(connections, options, namespace) {
    const client = connections.reportingFailuresOf(connections.clients[0], ['publish']);
    return new Emitter(client, { key: options.keyPrefix }, namespace);
  },
};
