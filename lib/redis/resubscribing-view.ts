/** ioredis's subscribing methods, each with the one that undoes it. */
const UNSUBSCRIBE_METHOD = { subscribe: 'unsubscribe', psubscribe: 'punsubscribe', ssubscribe: 'sunsubscribe' } as const;
type SubscribeMethod = keyof typeof UNSUBSCRIBE_METHOD;
type SubscriptionMethod = SubscribeMethod | (typeof UNSUBSCRIBE_METHOD)[SubscribeMethod];
/** For each of the six methods, the kind of subscription it makes or undoes (named by its subscribing method). */
const KIND = new Map<string, SubscribeMethod>(
  Object.entries(UNSUBSCRIBE_METHOD).flatMap(([subscribe, unsubscribe]) => [
    [subscribe, subscribe as SubscribeMethod],
    [unsubscribe, subscribe as SubscribeMethod],
  ]),
);

/** ioredis's methods that subscribe. */
export const SUBSCRIBE_METHODS: readonly string[] = Object.keys(UNSUBSCRIBE_METHOD);
/** The methods whose calls a {@link resubscribingView} follows. */
export const SUBSCRIPTION_METHODS: readonly string[] = [...KIND.keys()];

/**
 * A view of a subscriber connection that remembers the (un)subscriptions that failed because Redis was
 * down, so that `redoFailed` makes them once it is back, unless a later call for the channel superseded
 * them. The socket.io adapters subscribe as a namespace opens and, with sharded pub/sub, as a room is
 * created, and unsubscribe as it is deleted; ioredis resubscribes by itself after a reconnect, to the
 * channels Redis had confirmed: without this, a namespace or room created during an outage would never
 * hear the other instances again, and one deleted during it would stay subscribed. A failed call still
 * rejects, and the client itself is unchanged.
 */
export function resubscribingView<T extends object>(client: T): { view: T; redoFailed: (through: T) => void } {
  // by `<kind> <channel>`: the last call for it, and what failed and is still to redo
  const lastCall = new Map<string, number>();
  const failed = new Map<string, { method: SubscriptionMethod; channel: string }>();
  let calls = 0;
  const view = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      const kind = typeof property === 'string' ? KIND.get(property) : undefined;
      if (kind === undefined || typeof value !== 'function') return value;
      const method = property as SubscriptionMethod;
      return (...args: unknown[]) => {
        const call = ++calls;
        const keys = channelsOf(args).map((channel) => ({ key: `${kind} ${channel}`, channel }));
        for (const { key } of keys) {
          lastCall.set(key, call);
          failed.delete(key);
        }
        return (value.apply(target, args) as Promise<unknown>).then(
          (result) => {
            keys.forEach(({ key }) => lastCall.get(key) === call && lastCall.delete(key));
            return result;
          },
          (error: unknown) => {
            for (const { key, channel } of keys) if (lastCall.get(key) === call) failed.set(key, { method, channel });
            throw error;
          },
        );
      };
    },
  });
  return {
    view,
    /** Makes the failed calls again through `through` (a view of this view that handles failures). */
    redoFailed: (through) => {
      const again = [...failed.values()];
      failed.clear();
      const subscriber = through as Record<SubscriptionMethod, (channel: string) => Promise<unknown>>;
      for (const { method, channel } of again) void subscriber[method](channel);
    },
  };
}

/** The channels of a call: ioredis takes them as arguments or arrays, and maybe a callback last. */
function channelsOf(args: unknown[]): string[] {
  return args.flat().filter((arg): arg is string => typeof arg === 'string');
}
