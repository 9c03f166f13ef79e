import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { RealtimeModule } from 'nestjs-realtime';
import { RealtimeHealthModule } from 'nestjs-realtime/terminus';
import { AuthController } from './auth/auth.controller.js';
import { mayJoin, type DemoUser } from './auth/demo-users.js';
import { ChatGateway } from './chat/chat.gateway.js';
import { NotificationsController } from './notifications/notifications.controller.js';
import { NotificationsGateway } from './notifications/notifications.gateway.js';
import { PriceFeedService } from './notifications/price-feed.service.js';
import { HealthController } from './observability/health.controller.js';
import { MetricsController } from './observability/metrics.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    RealtimeModule.forRootAsync({
      inject: [ConfigService],
      // No WS_REDIS_URL: one instance on the in-memory adapter. With it: as many instances as you like.
      useFactory: (config: ConfigService) => {
        const url = config.get<string>('WS_REDIS_URL');
        return {
          redis: url ? { url } : undefined,
          auth: { secret: config.getOrThrow<string>('JWT_SECRET') },
          rooms: { authorize: (user: DemoUser, room: string) => mayJoin(user, room) },
        };
      },
    }),
    TerminusModule.forRoot({ logger: false }),
    RealtimeHealthModule,
  ],
  controllers: [AuthController, NotificationsController, HealthController, MetricsController],
  providers: [ChatGateway, NotificationsGateway, PriceFeedService],
})
export class AppModule {}
