import './observability/prometheus.js'; // the OpenTelemetry SDK first, before the app boots
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { fileURLToPath } from 'node:url';
import { RedisIoAdapterFactory } from 'nestjs-realtime';
import { AppModule } from './app.module.js';

/** The example app, wired as a user's main.ts would wire it (shared with the example's tests). */
export async function createChatApp(options: { logger?: false } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { ...options, abortOnError: false });
  app.enableShutdownHooks();
  app.useStaticAssets(fileURLToPath(new URL('../public', import.meta.url)));
  app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
  return app;
}
