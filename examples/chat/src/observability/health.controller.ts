import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { RealtimeHealthIndicator } from 'nestjs-realtime/terminus';

/** Up while the socket.io server runs and, with WS_REDIS_URL, its Redis connections are ready; 503 otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly realtime: RealtimeHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.realtime.isHealthy()]);
  }
}
