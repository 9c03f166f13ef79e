/** ioredis's subscribing methods, each with the one that undoes it. */
const UNSUBSCRIBE_METHOD = { subscribe: 'unsubscribe', psubscribe: 'punsubscribe', ssubscribe: 'sunsubscribe' } as const;
type SubscribeMethod = keyof typeof UNSUBSCRIBE_METHOD;
const SUBSCRIBE_METHOD = new Map<string, SubscribeMethod>(
  Object.entries(UNSUBSCRIBE_METHOD).map(([subscribe, unsubscribe]) => [unsubscribe, subscribe as SubscribeMethod]),
);

/** The methods whose calls a {@link resubscribingView} follows. */
export const SUBSCRIPTION_METHODS: readonly string[] = [...Object.keys(UNSUBSCRIBE_METHOD), ...SUBSCRIBE_METHOD.keys()];

/**
 * A view of a subscriber connection that remembers the subscriptions that failed (Redis was down when
 * a socket.io adapter subscribed: as a namespace opened, or, with sharded pub/sub, as a room was created)
 * so that `resubscribe` makes them again, but those undone since. ioredis resubscribes by itself after a
 * reconnect, only to the channels Redis had confirmed: without this, such a namespace or room would never
 * hear the other instances again. A failed call still rejects, and the client itself is unchanged.
 */
export function resubscribingView<T extends object>(client: T): { view: T; resubscribe: (through: T) => void } {
  const failed = new Map<string, { method: SubscribeMethod; channel: string }>(); // by `<method> <channel>`
  const view = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      const call = (args: unknown[]) => value.apply(target, args) as Promise<unknown>;
      if (Object.hasOwn(UNSUBSCRIBE_METHOD, property)) {
        const method = property as SubscribeMethod;
        return (...args: unknown[]) =>
          call(args).catch((error: unknown) => {
            channelsOf(args).forEach((channel) => failed.set(`${method} ${channel}`, { method, channel }));
            throw error;
          });
      }
      const undone = SUBSCRIBE_METHOD.get(property);
      if (undone === undefined) return value;
      return (...args: unknown[]) => {
        channelsOf(args).forEach((channel) => failed.delete(`${undone} ${channel}`));
        return call(args);
      };
    },
  });
  return {
    view,
    /** Makes the failed subscriptions again through `through` (a view of this view that handles failures). */
    resubscribe: (through) => {
      const again = [...failed.values()];
      failed.clear();
      const subscriber = through as Record<SubscribeMethod, (channel: string) => Promise<unknown>>;
      for (const { method, channel } of again) void subscriber[method](channel);
    },
  };
}

/** The channels of a call: ioredis takes them as arguments or arrays, and maybe a callback last. */
function channelsOf(args: unknown[]): string[] {
  return args.flat().filter((arg): arg is string => typeof arg === 'string');
}
