/**
 * A service method was given a room name, user id or event name it cannot use; nothing was sent
 * and no socket was touched. The message names the method, the argument and what to pass instead.
 */
export class InvalidArgumentError extends TypeError {
  constructor(method: string, problem: string) {
    super(`${method}: ${problem}`);
    this.name = 'InvalidArgumentError';
  }
}
