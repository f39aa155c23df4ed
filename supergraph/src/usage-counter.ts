// How many requests each API client has made: in this process by default, in Redis when the
// gateway runs as several replicas.
//
// Counting is bookkeeping, never a reason to refuse a request: while Redis cannot be reached, each
// replica keeps the counts it could not write (for a bounded number of clients) and adds them to
// Redis once it answers again. Reading the counts without Redis is a 503, never a 500.
import type Redis from 'ioredis';
import type { Logger } from '../../services/platform/src/logger';
import { EdgeError } from './gateway-errors';

export interface UsageCounter {
  /** Counts one request; never fails. */
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

/** Clients whose unwritten counts one replica keeps during an outage; the rest are lost. */
const MAX_PENDING_CLIENTS = 10_000;

const usageKey = (clientId: string) => `ecowheels:usage:${clientId}`;

export class RedisUsageCounter implements UsageCounter {
  /** Counts not yet in Redis, by client. */
  private readonly pending = new Map<string, number>();
  private outage = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async count(clientId: string): Promise<void> {
    const unwritten = this.pending.get(clientId) ?? 0;
    try {
      await this.redis.incrby(usageKey(clientId), unwritten + 1);
      this.pending.delete(clientId);
      if (this.outage) {
        this.outage = false;
        this.logger.info('usage counting: Redis answers again; counts kept meanwhile are written as their clients return');
      }
    } catch (error) {
      if (!this.outage) {
        this.outage = true;
        this.logger.warn({ err: error }, 'usage counting: Redis is unavailable; counting in this replica until it answers');
      }
      if (this.pending.has(clientId) || this.pending.size < MAX_PENDING_CLIENTS) this.pending.set(clientId, unwritten + 1);
    }
  }

  async read(clientId: string): Promise<number> {
    try {
      return Number((await this.redis.get(usageKey(clientId))) ?? 0) + (this.pending.get(clientId) ?? 0);
    } catch {
      throw new EdgeError('SERVICE_UNAVAILABLE', 503, 'usage counts cannot be read right now; retry shortly');
    }
  }
}
