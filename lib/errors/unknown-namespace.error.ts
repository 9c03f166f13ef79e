/** Thrown by a service call aimed at a namespace that no gateway of this app serves: it would reach nobody. */
export class UnknownNamespaceError extends Error {
  constructor(namespace: string, served: string[]) {
    const known = served.length ? served.map((name) => `"${name}"`).join(', ') : 'none';
    super(
      `No gateway of this app serves the namespace "${namespace}" (gateways serve: ${known}). ` +
        'Pass { namespace } to the call, or set RealtimeModule option "namespace" to the one your gateways use.',
    );
    this.name = 'UnknownNamespaceError';
  }
}
