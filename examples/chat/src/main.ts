import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { fileURLToPath } from 'node:url';
import { RedisIoAdapterFactory } from 'nestjs-realtime';
import { AppModule } from './app.module.js';

const app = await NestFactory.create<NestExpressApplication>(AppModule);
app.enableShutdownHooks();
app.useStaticAssets(fileURLToPath(new URL('../public', import.meta.url)));
app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
new Logger('Example').log(`Chat running at ${(await app.getUrl()).replace('[::1]', 'localhost')}`);
