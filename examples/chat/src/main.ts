import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createChatApp } from './create-chat-app.js';

if (!process.env.JWT_SECRET) {
  process.env.JWT_SECRET = 'demo-secret-change-me';
  new Logger('Example').warn('JWT_SECRET is not set: using a demo secret. Set it for anything but a local demo.');
}
const app = await createChatApp();
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
new Logger('Example').log(`Chat running at ${(await app.getUrl()).replace('[::1]', 'localhost')}`);
