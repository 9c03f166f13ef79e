/**
 * A view of `client` for a library that calls some of its methods without handling the promise (the
 * socket.io Redis adapter and emitter publish and unsubscribe that way): a failure of those calls goes
 * to `onFailure` instead of becoming an unhandled rejection that ends the process. The call is dropped,
 * never retried or queued; every other property is the client's own, and the client is unchanged.
 */
export function failureReportingView<T extends object>(client: T, methods: readonly string[], onFailure: (error: Error) => void): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !methods.includes(property) || typeof value !== 'function') return value;
      return (...args: unknown[]) => (value.apply(target, args) as Promise<unknown>).catch(onFailure);
    },
  });
}
