import type { Socket } from 'socket.io-client';

/** Resolves with the next `event` on `socket`; rejects after `timeoutMs` naming the event. */
export function nextEvent<T = unknown>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, onEvent);
  });
}

/** Collects every `event` on `socket` from now on. */
export function collect<T = unknown>(socket: Socket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

/** Resolves once `received` (from {@link collect}) holds `count` items; rejects after `timeoutMs` with what came. */
export function untilCount<T>(socket: Socket, event: string, received: T[], count: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (received.length < count) return;
      clearTimeout(timer);
      socket.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      socket.off(event, check);
      reject(new Error(`${received.length} of ${count} "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, check);
    check();
  });
}
