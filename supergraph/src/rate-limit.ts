// The rate limit per API key, with rate-limiter-flexible: in this process by default, in Redis when
// a Redis URL is set, so that every gateway replica draws on the same allowance.
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { EdgeError } from './gateway-errors';
import { retryAfterSeconds } from '../../services/platform/src/errors';

export class ApiKeyRateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(options: { points: number; windowSeconds: number; redis?: Redis }) {
    const settings = { points: options.points, duration: options.windowSeconds, keyPrefix: 'ecowheels:rate' };
    this.limiter = options.redis ? new RateLimiterRedis({ ...settings, storeClient: options.redis }) : new RateLimiterMemory(settings);
  }

  /** Takes one request from the client's allowance, or throws RATE_LIMITED with Retry-After. */
  async consume(clientId: string): Promise<void> {
    try {
      await this.limiter.consume(clientId);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        throw new EdgeError('SERVICE_UNAVAILABLE', 503, 'the rate limiter is unavailable; retry shortly');
      }
      const retryAfter = retryAfterSeconds(rejection.msBeforeNext);
      throw new EdgeError('RATE_LIMITED', 429, `too many requests for this API key; retry in ${retryAfter} s`, {
        'retry-after': String(retryAfter),
      });
    }
  }
}
