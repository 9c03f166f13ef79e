/** Thrown at startup when `RealtimeModule` options are wrong; the message names the option and the fix. */
export class InvalidRealtimeOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`Invalid RealtimeModule option "${option}": ${problem}`);
    this.name = 'InvalidRealtimeOptionsError';
  }
}
