import type { Socket } from 'socket.io-client';
import { signTestToken } from '../../lib/testing/index.js';
import { collect, nextEvent } from '../utils/events.js';
import { TestBed } from '../utils/test-bed.js';
import { OpenGateway, SecureGateway } from '../auth/secure.gateway.js';

const secret = 'errors-test-secret';

describe('errors seen by clients', () => {
  let bed: TestBed;
  let member: Socket;
  let admin: Socket;

  beforeAll(async () => {
    bed = new TestBed();
    const app = await bed.app({ options: { auth: { secret } }, providers: [SecureGateway, OpenGateway] });
    member = await bed.client(app, { token: signTestToken({ sub: 'mia', roles: ['member'] }, secret) });
    admin = await bed.client(app, { token: signTestToken({ sub: 'ada', roles: ['admin'] }, secret) });
  });
  afterAll(() => bed.close());

  /** The same failure, once with an ack and once without (then it comes as the `exception` event). */
  async function bothWays(socket: Socket, event: string, data?: unknown) {
    const ack = await socket.emitWithAck(event, data);
    const exception = nextEvent(socket, 'exception');
    socket.emit(event, data);
    return { ack, exception: await exception };
  }

  it.each([
    ['a guard refusal (roles)', 'announce', 'hello', { code: 'FORBIDDEN', message: 'Requires the role admin' }],
    ['a guard refusal (policy)', 'edit', { owner: 'someone-else' }, { code: 'FORBIDDEN', message: 'Forbidden' }],
    ['a WsException', 'fail:ws', undefined, { code: 'BAD_REQUEST', message: 'Room is full' }],
    ['an HttpException', 'fail:http', undefined, { code: 'NOT_FOUND', message: 'No such room' }],
    ['a thrown Error (nothing of it leaks)', 'fail:error', undefined, { code: 'INTERNAL', message: 'Internal server error' }],
    ['a rejected promise', 'fail:async', undefined, { code: 'INTERNAL', message: 'Internal server error' }],
  ])('answers %s with its code, by ack or by the exception event', async (_case, event, data, error) => {
    const { ack, exception } = await bothWays(member, event, data);
    expect(ack).toEqual({ status: 'error', ...error });
    expect(exception).toEqual({ status: 'error', ...error, event });
  });

  it('answers an event that no handler serves with NOT_FOUND when the client asked for an ack, and sends nothing without one', async () => {
    const exceptions = collect(member, 'exception');
    member.emit('no-such-event', 1);
    // Events are handled in order: once this is answered, the one before it was handled too.
    expect(await member.emitWithAck('no-such-event', 2)).toEqual({
      status: 'error',
      code: 'NOT_FOUND',
      message: 'No handler for "no-such-event"',
    });
    expect(exceptions).toEqual([]);
  });

  it('answers a ValidationPipe failure with BAD_REQUEST and per-field details', async () => {
    const { ack, exception } = await bothWays(member, 'send', { text: '', priority: -1 });
    const expected = {
      status: 'error',
      code: 'BAD_REQUEST',
      message: 'Validation failed',
      details: [
        { field: 'text', message: 'text must be longer than or equal to 1 characters' },
        { field: 'priority', message: 'priority must not be less than 0' },
      ],
    };
    expect(ack).toEqual(expected);
    expect(exception).toEqual({ ...expected, event: 'send' });
  });

  it('answers a Nest 12 schema validation failure with BAD_REQUEST and per-field details', async () => {
    expect(await member.emitWithAck('send:schema', { text: 42 })).toEqual({
      status: 'error',
      code: 'BAD_REQUEST',
      message: 'Validation failed',
      details: [{ field: 'text', message: 'Required' }],
    });
    expect(await member.emitWithAck('send:schema', { text: 'ok' })).toBe('sent: ok');
  });

  it('lets allowed messages through', async () => {
    expect(await admin.emitWithAck('announce', 'hello')).toBe('announced: hello');
    expect(await member.emitWithAck('edit', { owner: 'mia' })).toBe('edited');
    expect(await member.emitWithAck('send', { text: 'hi', priority: 1 })).toBe('sent: hi');
  });

  it('logs unknown errors server-side, and opts a gateway without auth in with @UseFilters', async () => {
    const open = await bed.client(await bed.app({ options: {}, providers: [OpenGateway] }), { namespace: '/open' });
    expect(await open.emitWithAck('fail:error')).toEqual({ status: 'error', code: 'INTERNAL', message: 'Internal server error' });
    expect(bed.logger.lines).toContainEqual({ level: 'error', message: '"fail:error" failed: Error: internal detail' });
    expect(bed.logger.lines).toContainEqual({
      level: 'error',
      message: '"fail:error" failed: Error: connection to db://admin:hunter2@db failed',
    });
    expect(await member.emitWithAck('whoami')).toEqual(expect.objectContaining({ sub: 'mia' })); // still alive
  });
});
