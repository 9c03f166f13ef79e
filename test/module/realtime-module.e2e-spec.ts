import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import {
  InvalidRealtimeOptionsError,
  REALTIME_OPTIONS,
  RealtimeModule,
  RedisIoAdapterFactory,
  type RealtimeModuleOptions,
  type RealtimeOptionsFactory,
} from '../../lib/index.js';
import { EchoGateway } from '../adapter/echo.gateway.js';
import { hostModule, TestBed } from '../utils/test-bed.js';

/** A feature module that does not import RealtimeModule: it sees the providers only when global. */
@Injectable()
class NeedsRealtime {
  constructor(
    @Inject(REALTIME_OPTIONS) readonly options: RealtimeModuleOptions,
    readonly factory: RedisIoAdapterFactory,
  ) {}
}
@Module({ providers: [NeedsRealtime] })
class FeatureModule {}

@Injectable()
class RealtimeConfig implements RealtimeOptionsFactory {
  createRealtimeOptions(): RealtimeModuleOptions {
    return { path: '/from-class' };
  }
}
@Module({ providers: [RealtimeConfig], exports: [RealtimeConfig] })
class RealtimeConfigModule {}

describe('RealtimeModule', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('forRoot() is global: a feature module injects the options and the adapter factory', async () => {
    const app = await bed.app({ imports: [RealtimeModule.forRoot({ pingInterval: 1234 }), FeatureModule] });
    const feature = app.get(NeedsRealtime);
    // the options as given, with the library's defaults filled in
    expect(feature.options).toEqual({
      pingInterval: 1234,
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
      recovery: false,
    });
    expect(feature.factory).toBe(app.get(RedisIoAdapterFactory));
  });

  it('forRoot() with no argument runs one instance without Redis or auth', async () => {
    const app = await bed.app({ imports: [RealtimeModule.forRoot()], providers: [EchoGateway] });
    const client = await bed.client(app);
    expect(await client.emitWithAck('echo', 'no options')).toBe('no options');
    expect(app.get(REALTIME_OPTIONS)).toEqual({
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
      recovery: false,
    });
  });

  it('isGlobal: false keeps the providers inside the importing module', async () => {
    const host = hostModule({ imports: [RealtimeModule.forRoot({ isGlobal: false }), FeatureModule] });
    const create = NestFactory.create(host, { logger: false, abortOnError: false });
    await expect(create).rejects.toThrow(/can't resolve dependencies of the NeedsRealtime/);
  });

  it('forRootAsync() with ConfigService, as a typical host app configures it', async () => {
    const realtime = RealtimeModule.forRootAsync({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ WS_PATH: '/from-config' })] })],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ path: config.getOrThrow<string>('WS_PATH') }),
    });
    const app = await bed.app({ imports: [realtime], providers: [EchoGateway] });

    expect(app.get(REALTIME_OPTIONS)).toMatchObject({ path: '/from-config' });
    const client = await bed.client(app, { path: '/from-config' });
    expect(await client.emitWithAck('echo', 'over /from-config')).toBe('over /from-config');
  });

  it('forRootAsync() with useClass and with useExisting', async () => {
    const byClass = await bed.app({ imports: [RealtimeModule.forRootAsync({ useClass: RealtimeConfig })] });
    expect(byClass.get(REALTIME_OPTIONS)).toMatchObject({ path: '/from-class' });

    const byExisting = await bed.app({
      imports: [RealtimeModule.forRootAsync({ imports: [RealtimeConfigModule], useExisting: RealtimeConfig })],
    });
    expect(byExisting.get(REALTIME_OPTIONS)).toMatchObject({ path: '/from-class' });
  });

  it('refuses bad options from an async factory at startup, naming the option', async () => {
    const realtime = RealtimeModule.forRootAsync({ useFactory: () => ({ redis: { url: 'localhost:6379' } }) });
    const create = NestFactory.create(hostModule({ imports: [realtime] }), { logger: false, abortOnError: false });
    const error = await create.catch((e: Error) => e);
    expect(error).toBeInstanceOf(InvalidRealtimeOptionsError);
    expect((error as Error).message).toBe(
      `Invalid RealtimeModule option "redis.url": expected a redis:// or rediss:// URL such as 'redis://localhost:6379', got the string "localhost:6379".`,
    );
  });
});
