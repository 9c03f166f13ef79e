import type { RedisClient } from '../redis/redis-connections.js';

/**
 * The channel subscriptions (SSUBSCRIBE) of a sharded adapter's subscriber connection. The adapter
 * subscribes to a room's channel when the room is created on this instance, without waiting for Redis
 * to confirm it; until then, what other instances send to the room does not reach its sockets here.
 * So joins wait for {@link settled}: `await socket.join(room)` (see {@link awaitRoomSubscriptions}) and
 * the library's cluster-wide joins (see {@link roomsSubscribed}).
 */
export class RoomSubscriptions {
  private readonly pending = new Set<Promise<unknown>>();

  /** A view of the subscriber connection whose SSUBSCRIBE calls are followed until Redis answers them. */
  follow<T extends RedisClient>(client: T): T {
    return new Proxy(client, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'ssubscribe' || typeof value !== 'function') return value;
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

const subscriptionsOf = new WeakMap<object, RoomSubscriptions>();

/**
 * Makes `socket.join()` on a namespace's adapter (socket.io returns what the adapter's `addAll` returns)
 * resolve once the rooms' channels are subscribed, so that `await client.join(room)` in a gateway means
 * the room hears every instance from then on.
 */
export function awaitRoomSubscriptions(adapter: RoomAdapter, subscriptions: RoomSubscriptions): void {
  subscriptionsOf.set(adapter, subscriptions);
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
 * What to await after sockets of the namespace joined rooms other than by `socket.join()` (socket.io's
 * `socketsJoin`), so that messages other instances send to those rooms from then on reach them.
 */
export async function roomsSubscribed(namespace: { adapter: object }): Promise<void> {
  await subscriptionsOf.get(namespace.adapter)?.settled();
}
