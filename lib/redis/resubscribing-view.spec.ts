import { resubscribingView } from './resubscribing-view.js';

/** A subscriber whose calls are recorded, and fail while `down`. */
function subscriber() {
  const calls: string[] = [];
  const state = { down: false };
  const record =
    (method: string) =>
    (...args: unknown[]): Promise<void> => {
      calls.push(`${method} ${args.flat().join(',')}`);
      return state.down ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve();
    };
  const client = {
    subscribe: record('subscribe'),
    psubscribe: record('psubscribe'),
    ssubscribe: record('ssubscribe'),
    unsubscribe: record('unsubscribe'),
    sunsubscribe: record('sunsubscribe'),
  };
  return { client, calls, state };
}

const failure = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: Error) => error.message,
  );

describe('resubscribingView', () => {
  it('makes again, through the given view, each channel whose subscription failed, once', async () => {
    const { client, calls, state } = subscriber();
    const { view, resubscribe } = resubscribingView(client);
    await view.subscribe('confirmed');
    state.down = true;
    expect(await failure(view.subscribe(['request', 'response']))).toBe('Connection is closed.');
    expect(await failure(view.psubscribe('namespace#*'))).toBe('Connection is closed.');
    expect(await failure(view.ssubscribe('room#'))).toBe('Connection is closed.');
    state.down = false;
    calls.length = 0;

    resubscribe(view);
    resubscribe(view);

    expect(calls).toEqual(['subscribe request', 'subscribe response', 'psubscribe namespace#*', 'ssubscribe room#']);
  });

  it('does not make again a subscription undone since it failed', async () => {
    const { client, calls, state } = subscriber();
    const { view, resubscribe } = resubscribingView(client);
    state.down = true;
    await failure(view.ssubscribe('gone#'));
    await failure(view.ssubscribe('kept#'));
    await failure(view.sunsubscribe('gone#'));
    await failure(view.subscribe('kept#')); // another method: not undone by sunsubscribe
    state.down = false;
    calls.length = 0;

    resubscribe(view);

    expect(calls).toEqual(['ssubscribe kept#', 'subscribe kept#']);
  });

  it('remembers a subscription that fails again, for the next time', async () => {
    const { client, calls, state } = subscriber();
    const { view, resubscribe } = resubscribingView(client);
    state.down = true;
    await failure(view.psubscribe('namespace#*'));
    const failedAgain = new Promise<void>((resolve) => {
      const through = { psubscribe: (channel: string) => failure(view.psubscribe(channel)).then(() => resolve()) };
      resubscribe(through as unknown as typeof client);
    });
    await failedAgain;
    state.down = false;
    calls.length = 0;

    resubscribe(view);

    expect(calls).toEqual(['psubscribe namespace#*']);
  });
});
