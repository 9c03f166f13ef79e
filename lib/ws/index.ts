// The `nestjs-realtime/ws` entry point: native WebSocket gateways on @nestjs/platform-ws (an optional peer).
export { RealtimeWsAdapter, type RealtimeWebSocket } from './realtime-ws.adapter.js';
export { BEARER_PROTOCOL } from './ws-handshake-token.js';
