/** Thrown when PresenceService is used while the `presence` option is `false`. */
export class PresenceDisabledError extends Error {
  constructor() {
    super('Presence is turned off (RealtimeModule option "presence" is false): remove that option to use PresenceService.');
    this.name = 'PresenceDisabledError';
  }
}
