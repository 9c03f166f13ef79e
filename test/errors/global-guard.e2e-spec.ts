import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { signTestToken } from '../../lib/testing/index.js';
import { SecureGateway } from '../auth/secure.gateway.js';
import { TestBed } from '../utils/test-bed.js';

const secret = 'global-guard-secret';

/** A typical HTTP-only app guard, written before Nest 12 applied app guards to gateways. */
@Injectable()
class NaiveHttpGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (!request.headers.authorization) throw new UnauthorizedException();
    return true;
  }
}

/** The fix: leave WebSocket messages to @WsAuth(). */
@Injectable()
class HttpOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    return Boolean(context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization);
  }
}

describe('an app-wide HTTP guard (Nest 12 applies it to gateway messages too)', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  const start = (guard: new () => CanActivate) =>
    bed.app({ options: { auth: { secret } }, providers: [SecureGateway, { provide: APP_GUARD, useClass: guard }] });

  it('a guard that assumes HTTP fails every message, answered as INTERNAL rather than left hanging', async () => {
    const client = await bed.client(await start(NaiveHttpGuard), { token: signTestToken({ sub: 'a' }, secret) });
    expect(await client.emitWithAck('whoami')).toEqual({ status: 'error', code: 'INTERNAL', message: 'Internal server error' });
  });

  it('checking context.getType() lets messages through to @WsAuth()', async () => {
    const client = await bed.client(await start(HttpOnlyGuard), { token: signTestToken({ sub: 'a' }, secret) });
    expect((await client.emitWithAck('whoami')).sub).toBe('a');
  });
});
