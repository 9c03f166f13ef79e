import type { Broadcaster } from '../engines/realtime-engine.interface.js';
import type { StreamWriter } from './stream-writer.js';

/** A namespace of every instance's clients for a process without sockets, writing to the recovery stream. */
export class StreamPublisher implements Broadcaster {
  constructor(
    private readonly writer: StreamWriter,
    private readonly namespace: string,
    private readonly rooms: readonly string[] = [],
    private readonly excepted: readonly string[] = [],
  ) {}

  to(room: string | string[]): StreamPublisher {
    return new StreamPublisher(this.writer, this.namespace, [...this.rooms, ...[room].flat()], this.excepted);
  }

  except(room: string | string[]): StreamPublisher {
    return new StreamPublisher(this.writer, this.namespace, this.rooms, [...this.excepted, ...[room].flat()]);
  }

  emit(event: string, ...args: unknown[]): true {
    const packet = { type: 2, data: [event, ...args], nsp: this.namespace };
    this.writer.write(this.namespace, {
      packet,
      opts: { rooms: [...new Set(this.rooms)], except: [...new Set(this.excepted)], flags: {} },
    });
    return true;
  }
}
