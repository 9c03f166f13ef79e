/** Thrown at boot when `redis.mode: 'sharded'` meets a Redis without sharded pub/sub (before 7.0). */
export class RedisVersionError extends Error {
  constructor(address: string, version: string) {
    super(
      `redis.mode 'sharded' needs Redis 7.0 or later (sharded pub/sub: SPUBLISH, SSUBSCRIBE), but the Redis at ${address} is ${version}. ` +
        "Upgrade Redis, or leave RealtimeModule option redis.mode at 'pubsub'.",
    );
    this.name = 'RedisVersionError';
  }
}
