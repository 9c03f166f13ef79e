import {
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type INestApplication,
  type LoggerService,
  type Provider,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { Socket } from 'socket.io-client';
import { RealtimeModule, RedisIoAdapterFactory, type RealtimeModuleOptions } from '../../lib/index.js';
import { connectClient, type ConnectClientOptions } from '../../lib/testing/index.js';

/** Records what the library logs, so tests can assert (and await) warnings instead of printing them. */
export class RecordingLogger extends EventEmitter implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log = (message: unknown) => this.record('log', message);
  warn = (message: unknown) => this.record('warn', message);
  error = (message: unknown) => this.record('error', message);
  debug = () => undefined;
  verbose = () => undefined;
  fatal = (message: unknown) => this.record('fatal', message);

  /** Resolves once `count` lines (counted from the start) match `pattern`. */
  async waitFor(pattern: RegExp, count = 1): Promise<void> {
    while (this.lines.filter((line) => pattern.test(line.message)).length < count) await once(this, 'line');
  }

  private record(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
    this.emit('line');
  }
}

export interface AppSpec {
  options?: RealtimeModuleOptions;
  /** The host app's own modules (e.g. `RealtimeModule.forRootAsync(...)` instead of `options`). */
  imports?: (Type | DynamicModule)[];
  providers?: Provider[];
  controllers?: Type[];
}

/** A root module for a test app, as a host app's AppModule. */
export function hostModule(metadata: ModuleMetadata): Type {
  class HostModule {}
  Module(metadata)(HostModule);
  return HostModule;
}

/** One Redis key prefix per test file, so files running side by side never hear each other. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomUUID().slice(0, 8)}`;
}

/** Boots Nest apps and clients for a test and closes all of them, newest first, in {@link close}. */
export class TestBed {
  readonly logger = new RecordingLogger();
  private readonly cleanups: (() => unknown)[] = [];

  /** A real Nest app wired as a user would: RedisIoAdapterFactory, `listen(0)` on loopback. */
  async app(spec: AppSpec): Promise<INestApplication> {
    const imports = spec.imports ?? [RealtimeModule.forRoot(spec.options ?? {})];
    const app = await NestFactory.create(hostModule({ imports, providers: spec.providers, controllers: spec.controllers }), {
      logger: this.logger,
      abortOnError: false,
    });
    this.defer(() => app.close());
    app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
    await app.listen(0, '127.0.0.1');
    return app;
  }

  /** `count` instances of the same app, as behind a load balancer. */
  async apps(count: number, spec: AppSpec): Promise<INestApplication[]> {
    const apps: INestApplication[] = [];
    for (let i = 0; i < count; i++) apps.push(await this.app(spec));
    return apps;
  }

  async client(target: INestApplication | string, options?: ConnectClientOptions): Promise<Socket> {
    const socket = await connectClient(target, options);
    this.defer(() => socket.close());
    return socket;
  }

  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  async close(): Promise<void> {
    while (this.cleanups.length) await this.cleanups.pop()!();
  }
}
