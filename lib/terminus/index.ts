// The `nestjs-realtime/terminus` entry point: health checks with @nestjs/terminus (an optional peer).
export { RealtimeHealthIndicator } from './realtime-health.indicator.js';
export { RealtimeHealthModule } from './realtime-health.module.js';
