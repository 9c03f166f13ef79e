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
    const { view, redoFailed } = resubscribingView(client);
    await view.subscribe('confirmed');
    state.down = true;
    expect(await failure(view.subscribe(['request', 'response']))).toBe('Connection is closed.');
    expect(await failure(view.psubscribe('namespace#*'))).toBe('Connection is closed.');
    expect(await failure(view.ssubscribe('room#'))).toBe('Connection is closed.');
    state.down = false;
    calls.length = 0;

    redoFailed(view);
    redoFailed(view);

    expect(calls).toEqual(['subscribe request', 'subscribe response', 'psubscribe namespace#*', 'ssubscribe room#']);
  });

  it('makes again an unsubscribe that failed (ioredis puts back what Redis had confirmed)', async () => {
    const { client, calls, state } = subscriber();
    const { view, redoFailed } = resubscribingView(client);
    await view.ssubscribe('deleted#');
    state.down = true;
    await failure(view.sunsubscribe('deleted#'));
    state.down = false;
    calls.length = 0;

    redoFailed(view);

    expect(calls).toEqual(['sunsubscribe deleted#']);
  });

  it('redoes only the last call for a channel, and none a later call succeeded', async () => {
    const { client, calls, state } = subscriber();
    const { view, redoFailed } = resubscribingView(client);
    state.down = true;
    await failure(view.ssubscribe('gone#'));
    await failure(view.sunsubscribe('gone#')); // the last call: redone, not the subscribe
    await failure(view.ssubscribe('kept#'));
    await failure(view.subscribe('kept#')); // another kind of subscription: both stay
    const first = failure(view.ssubscribe('back#'));
    state.down = false;
    await view.sunsubscribe('back#'); // succeeds after the failed subscribe was sent
    await first;
    state.down = true;
    await failure(view.ssubscribe('again#'));
    state.down = false;
    await view.ssubscribe('again#');
    calls.length = 0;

    redoFailed(view);

    expect(calls).toEqual(['sunsubscribe gone#', 'ssubscribe kept#', 'subscribe kept#']);
  });
});
