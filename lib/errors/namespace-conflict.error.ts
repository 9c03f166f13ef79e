/** Thrown at boot when gateways on two socket.io servers serve the same namespace: a service call could not tell which. */
export class NamespaceConflictError extends Error {
  constructor(namespace: string, first: string, second: string) {
    super(
      `The namespace "${namespace}" is served by gateways on two socket.io servers: ${first} and ${second}. ` +
        'Give one of the gateways another namespace, or put both on the same port and path.',
    );
    this.name = 'NamespaceConflictError';
  }
}
