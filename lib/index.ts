// Module
export { RealtimeModule } from './realtime.module.js';
export { REALTIME_OPTIONS } from './realtime.constants.js';
export type {
  RealtimeAuthOptions,
  RealtimeEngine,
  RealtimeModuleOptions,
  RealtimeOptionsFactory,
  PresenceRoomEvents,
  RealtimePresenceOptions,
  RealtimeRateLimitOptions,
  RealtimeRedisOptions,
  RedisClusterNode,
  ResolvedRealtimeOptions,
} from './realtime-options.interface.js';

// Adapter
export { RedisIoAdapter } from './adapter/redis-io.adapter.js';
export { RedisIoAdapterFactory } from './adapter/redis-io-adapter.factory.js';

// Rooms and broadcasting
export { RoomService } from './rooms/room.service.js';
export type { RoomMember } from './rooms/room.service.js';
export { WebsocketBroadcastService } from './broadcast/websocket-broadcast.service.js';
export type { BroadcastOptions } from './broadcast/websocket-broadcast.service.js';
export { ROOM_JOIN_EVENT, ROOM_LEAVE_EVENT } from './realtime.constants.js';
export type { RealtimeRoomsOptions } from './realtime-options.interface.js';

// Presence
export { PresenceService } from './presence/presence.service.js';
export { PRESENCE_DIFF_EVENT, PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT } from './realtime.constants.js';
export type { PresenceDiff } from './presence/presence-announcer.js';

// Delivery and recovery
export { OFFSET_EVENT, RESYNC_EVENT } from './realtime.constants.js';
export type { RealtimeRecoveryOptions } from './realtime-options.interface.js';
export type { ResyncReason } from './recovery/resync.js';

// Authentication
export { WsAuth } from './auth/ws-auth.decorator.js';
export type { WsAuthOptions } from './auth/ws-auth-options.interface.js';
export { WsAuthGuard } from './auth/ws-auth.guard.js';
export { WsUser } from './auth/ws-user.decorator.js';
export { HandshakeRefusalError } from './auth/handshake-refusal.error.js';
export type { HandshakeRefusalCode } from './auth/handshake-refusal.error.js';
export { AUTH_EXPIRED_EVENT, AUTH_REFRESH_EVENT } from './realtime.constants.js';

// Errors
export { RealtimeExceptionFilter } from './errors/realtime-exception.filter.js';
export { RealtimeException } from './errors/realtime.exception.js';
export type { RealtimeErrorCode, RealtimeFieldError } from './errors/realtime.exception.js';
export type { ClientError } from './errors/client-error.js';
export { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
export { InvalidArgumentError } from './errors/invalid-argument.error.js';
export { NamespaceConflictError } from './errors/namespace-conflict.error.js';
export { UnknownNamespaceError } from './errors/unknown-namespace.error.js';
export { RedisConnectionError } from './errors/redis-connection.error.js';
export { RedisNotConnectedError } from './errors/redis-not-connected.error.js';
export { RedisVersionError } from './errors/redis-version.error.js';
export { NoSocketServerError } from './errors/no-socket-server.error.js';
export { PresenceDisabledError } from './errors/presence-disabled.error.js';
export { SocketIoRequiredError } from './errors/socket-io-required.error.js';
