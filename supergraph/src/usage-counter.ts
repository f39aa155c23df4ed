// How many requests each API client has made: in this process by default, in Redis when the
// gateway runs as several replicas.
import type Redis from 'ioredis';

export interface UsageCounter {
  count(clientId: string): Promise<void>;
  read(clientId: string): Promise<number>;
}

export class MemoryUsageCounter implements UsageCounter {
  private readonly counts = new Map<string, number>();
  async count(clientId: string): Promise<void> {
    this.counts.set(clientId, (this.counts.get(clientId) ?? 0) + 1);
  }
  async read(clientId: string): Promise<number> {
    return this.counts.get(clientId) ?? 0;
  }
}

export class RedisUsageCounter implements UsageCounter {
  constructor(private readonly redis: Redis) {}
  async count(clientId: string): Promise<void> {
    await this.redis.incr(`ecowheels:usage:${clientId}`);
  }
  async read(clientId: string): Promise<number> {
    return Number((await this.redis.get(`ecowheels:usage:${clientId}`)) ?? 0);
  }
}
