import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { RealtimeHealthIndicator, RealtimeHealthModule } from 'nestjs-realtime/terminus';
import { RealtimeModule, PresenceService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { EchoGateway } from '../adapter/echo.gateway.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly realtime: RealtimeHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.realtime.isHealthy()]);
  }
}

const secret = 'health-secret';

describe('RealtimeHealthIndicator with @nestjs/terminus', () => {
  let redis: RedisServer;
  let bed: TestBed;

  beforeEach(async () => {
    redis = await RedisServer.start(); // our own: the test stops it
    bed = new TestBed();
  });
  afterEach(async () => {
    await bed.close();
    await redis.stop();
  });

  async function healthOf(app: INestApplication): Promise<{ status: number; body: Record<string, unknown> }> {
    const { port } = app.getHttpServer().address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  function start(options: object) {
    const imports = [RealtimeModule.forRoot(options), TerminusModule.forRoot({ logger: false }), RealtimeHealthModule];
    return bed.app({ imports, providers: [EchoGateway], controllers: [HealthController] });
  }

  it('is up with the sockets of this instance, down naming the Redis connection and since when while Redis is down, up again after', async () => {
    const app = await start({ redis: { url: redis.url, keyPrefix: uniquePrefix('health') }, auth: { secret } });
    await bed.client(app, { token: signTestToken({ sub: 'hana' }, secret) });
    await app.get(PresenceService).online(); // opens the presence connection, which the check then counts too

    expect(await healthOf(app)).toEqual({
      status: 200,
      body: {
        status: 'ok',
        info: { realtime: { status: 'up', sockets: 1 } },
        error: {},
        details: { realtime: { status: 'up', sockets: 1 } },
      },
    });

    const stoppedAt = new Date();
    await redis.stop();
    await Promise.all([bed.logger.waitFor(/cross-instance messages are dropped/), bed.logger.waitFor(/presence is not updated/)]);
    const down = await healthOf(app);
    const realtime = (down.body.error as Record<string, { status: string; reason: string; sockets: number }>).realtime;
    expect(down.status).toBe(503);
    expect(realtime).toMatchObject({ status: 'down', sockets: 1 });
    const downSince = [...realtime.reason.matchAll(/Redis \(([\w, ]+)\) at redis:\/\/127\.0\.0\.1:\d+ down since ([^;\s]+)/g)];
    expect(downSince.map(([, connections]) => connections).sort()).toEqual(['presence', 'pub, sub']);
    for (const [, , since] of downSince) expect(Date.parse(since)).toBeGreaterThanOrEqual(stoppedAt.getTime() - 1000);

    await redis.start();
    await bed.logger.waitFor(/is back/, 2);
    expect((await healthOf(app)).status).toBe(200);
  });

  it('is down when the process serves no sockets', async () => {
    const app = await bed.app({
      imports: [RealtimeModule.forRoot(), TerminusModule.forRoot({ logger: false }), RealtimeHealthModule],
      controllers: [HealthController],
    });
    const { status, body } = await healthOf(app);
    expect(status).toBe(503);
    expect(body.error).toEqual({
      realtime: {
        status: 'down',
        sockets: 0,
        reason: 'No socket.io server in this process: no gateway, or the app does not use RedisIoAdapterFactory.',
      },
    });
  });
});
