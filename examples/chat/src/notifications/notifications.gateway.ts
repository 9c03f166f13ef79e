import { WebSocketGateway } from '@nestjs/websockets';
import { WsAuth } from 'nestjs-realtime';

/**
 * Opens `/notifications`: a socket here is in `user:<id>`, so `sendToUser(..., { namespace:
 * '/notifications' })` reaches it, and it gets the price feed.
 */
@WebSocketGateway({ namespace: '/notifications' })
@WsAuth()
export class NotificationsGateway {}
