import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RealtimeHealthIndicator } from './realtime-health.indicator.js';

/**
 * Provides {@link RealtimeHealthIndicator}; import it beside `TerminusModule` where the health
 * controller is (`RealtimeModule` must be imported in the app).
 */
@Module({
  imports: [TerminusModule],
  providers: [RealtimeHealthIndicator],
  exports: [RealtimeHealthIndicator],
})
export class RealtimeHealthModule {}
