import { EVENT_PACKET_TYPE, type StreamBroadcast } from '../recovery/stream-entry.js';
import type { Broadcaster } from './realtime-engine.interface.js';

/**
 * A namespace of every instance's clients for a process without sockets: each emit becomes a broadcast
 * in the socket.io cluster adapters' format (packet, rooms, except), handed to `send` (an engine's
 * write to its stream or channel).
 */
export class BroadcastPublisher implements Broadcaster {
  constructor(
    private readonly send: (broadcast: StreamBroadcast) => void,
    private readonly namespace: string,
    private readonly rooms: readonly string[] = [],
    private readonly excepted: readonly string[] = [],
  ) {}

  to(room: string | string[]): BroadcastPublisher {
    return new BroadcastPublisher(this.send, this.namespace, [...this.rooms, ...[room].flat()], this.excepted);
  }

  except(room: string | string[]): BroadcastPublisher {
    return new BroadcastPublisher(this.send, this.namespace, this.rooms, [...this.excepted, ...[room].flat()]);
  }

  emit(event: string, ...args: unknown[]): true {
    this.send({
      packet: { type: EVENT_PACKET_TYPE, data: [event, ...args], nsp: this.namespace },
      opts: { rooms: [...new Set(this.rooms)], except: [...new Set(this.excepted)], flags: {} },
    });
    return true;
  }
}
