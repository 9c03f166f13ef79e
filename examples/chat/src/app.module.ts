import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { RealtimeModule } from 'nestjs-realtime';
import { ChatGateway } from './chat.gateway.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    RealtimeModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      // No WS_REDIS_URL: one instance on the in-memory adapter. With it: as many instances as you like.
      useFactory: (config: ConfigService) => {
        const url = config.get<string>('WS_REDIS_URL');
        return { redis: url ? { url } : undefined };
      },
    }),
  ],
  providers: [ChatGateway],
})
export class AppModule {}
