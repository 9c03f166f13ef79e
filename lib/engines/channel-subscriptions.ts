import type { RedisClient } from '../redis/redis-connections.js';
import { SUBSCRIBE_METHODS } from '../redis/resubscribing-view.js';

/** The methods of a subscriber connection whose calls are followed until Redis answers them. */
const SUBSCRIBING = new Set(SUBSCRIBE_METHODS);

/**
 * The channel subscriptions (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE) of an adapter's subscriber connection.
 * An adapter subscribes to its namespace's channels as it is created, and the sharded one to a room's
 * channel when the room is created on this instance, without waiting for Redis to confirm them; until
 * then, what other instances send there does not reach the sockets here. So the app listens once they
 * are confirmed (`RealtimeServerRegistry`), and with sharded pub/sub joins wait for {@link settled}:
 * `await socket.join(room)` (see {@link awaitRoomSubscriptions}) and the library's cluster-wide joins
 * (see {@link channelsSubscribed}).
 */
export class ChannelSubscriptions {
  private readonly pending = new Set<Promise<unknown>>();

  /** A view of the subscriber connection whose subscribing calls are followed until Redis answers them. */
  follow<T extends RedisClient>(client: T): T {
    return new Proxy(client, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !SUBSCRIBING.has(property) || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const subscribing = value.apply(target, args) as Promise<unknown>;
          this.pending.add(subscribing);
          const done = () => void this.pending.delete(subscribing);
          subscribing.then(done, done);
          return subscribing;
        };
      },
    });
  }

  /** Resolves once every subscription asked for so far is confirmed (or failed: an outage, reported as such). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}

const subscriptionsOf = new WeakMap<object, ChannelSubscriptions>();

/** Makes {@link channelsSubscribed} of a namespace with this adapter wait for `subscriptions`. */
export function followSubscriptions(adapter: object, subscriptions: ChannelSubscriptions): void {
  subscriptionsOf.set(adapter, subscriptions);
}

/**
 * Makes `socket.join()` on a namespace's adapter (socket.io returns what the adapter's `addAll` returns)
 * resolve once the rooms' channels are subscribed, so that `await client.join(room)` in a gateway means
 * the room hears every instance from then on.
 */
export function awaitRoomSubscriptions(adapter: RoomAdapter, subscriptions: ChannelSubscriptions): void {
  followSubscriptions(adapter, subscriptions);
  const addAll = adapter.addAll.bind(adapter);
  adapter.addAll = (id, rooms) => {
    void addAll(id, rooms); // the in-memory adapter's: done at once
    return subscriptions.settled();
  };
}

/** The method of a socket.io adapter that `socket.join()` calls. */
interface RoomAdapter {
  addAll(id: string, rooms: Set<string>): Promise<void> | void;
}

/**
 * What to await so that messages other instances send to the namespace from then on reach its sockets
 * here: after the adapter was created, and after sockets joined rooms other than by `socket.join()`
 * (socket.io's `socketsJoin`).
 */
export async function channelsSubscribed(namespace: { adapter: object }): Promise<void> {
  await subscriptionsOf.get(namespace.adapter)?.settled();
}
