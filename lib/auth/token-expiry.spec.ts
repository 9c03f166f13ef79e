import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { resolveRealtimeOptions } from '../realtime-options.resolve.js';
import { JwtVerifier } from './jwt-verifier.js';
import { tokenExpiryWatch } from './token-expiry.js';

const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('tokenExpiryWatch', () => {
  it('leaves no timer or listener behind over 10,000 connect/disconnect cycles', () => {
    const verifier = new JwtVerifier(resolveRealtimeOptions({ auth: { secret: 'unit' } }).auth!);
    const { watch } = tokenExpiryWatch({ verifier, graceMs: 1000, clockTolerance: 0 });
    const before = timers();
    const sockets: EventEmitter[] = [];
    for (let i = 0; i < 10_000; i++) {
      const socket = Object.assign(new EventEmitter(), { data: { userId: `u${i}` }, disconnect() {} });
      const exp = Math.floor(Date.now() / 1000) + 3600;
      watch(socket as unknown as Socket, { sub: `u${i}`, exp });
      socket.emit('disconnect', 'client namespace disconnect');
      sockets.push(socket);
    }
    expect(timers()).toBe(before);
    expect(sockets.every((socket) => socket.listenerCount('disconnect') === 0)).toBe(true);
  });

  it('gives a socket a disconnect listener only while its token has an exp', () => {
    const verifier = new JwtVerifier(resolveRealtimeOptions({ auth: { secret: 'unit' } }).auth!);
    const { watch } = tokenExpiryWatch({ verifier, graceMs: 1000, clockTolerance: 0 });
    const forever = Object.assign(new EventEmitter(), { data: { userId: 'u1' }, disconnect() {} });
    watch(forever as unknown as Socket, { sub: 'u1' });
    expect(forever.listenerCount('disconnect')).toBe(0);
    const expiring = Object.assign(new EventEmitter(), { data: { userId: 'u2' }, disconnect() {} });
    watch(expiring as unknown as Socket, { sub: 'u2', exp: Math.floor(Date.now() / 1000) + 3600 });
    expect(expiring.listenerCount('disconnect')).toBe(1);
    expiring.emit('disconnect', 'client namespace disconnect');
    expect(expiring.listenerCount('disconnect')).toBe(0);
  });
});
