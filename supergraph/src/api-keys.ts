// API keys: every request names its client app with `x-api-key`. Keys are checked against the user
// service (which stores only their hashes) and the answer is kept in a bounded LRU cache: a valid
// key for GATEWAY_API_KEY_CACHE_MS, an unknown one for a few seconds, so a busy app costs one gRPC
// call per key per cache period and a repeated bad key costs none. Each address may try only so
// many unknown keys a minute: past that it is refused at the edge (429) without asking the user
// service, so a flood of made-up keys neither loads the user service nor pushes real keys out of
// the cache. Each key's requests are counted.
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { UserServiceClient, UserServiceService } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { DomainError, retryAfterSeconds } from '../../services/platform/src/errors';
import { createClient } from '../../services/platform/src/grpc/client';
import type { MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { EdgeError } from './gateway-errors';
import type { UsageCounter } from './usage-counter';

export interface ApiClientIdentity {
  id: string;
  name: string;
  /** What the key may do beyond the rider API, for example "ops". */
  scopes: string[];
}

export interface ApiKeyCheckSettings {
  /** How long a valid key's answer is kept. */
  cacheMs: number;
  /** How long an unknown key's answer is kept (short: a key may be issued meanwhile). */
  unknownCacheMs?: number;
  /** Unknown keys one client address may try per minute before it is refused at the edge. */
  unknownKeysPerMinute?: number;
  /** Keys kept at most, valid and unknown together. */
  maxCachedKeys?: number;
}

/** A cached answer: the key's client, or null for a key the user service does not know. */
type Answer = ApiClientIdentity | null;

export class ApiKeyCheck {
  private readonly cache: LRUCache<string, { answer: Answer }>;
  private readonly unknownKeys: RateLimiterMemory;
  private readonly unknownCacheMs: number;
  private readonly users;

  constructor(
    userServiceAddress: string,
    mesh: MeshCredentials,
    settings: ApiKeyCheckSettings,
    private readonly usage: UsageCounter,
  ) {
    this.users = createClient(UserServiceClient, UserServiceService, { address: userServiceAddress, defaultDeadlineMs: 2000, peerName: 'user', mesh });
    this.cache = new LRUCache({ max: settings.maxCachedKeys ?? 10_000, ttl: settings.cacheMs });
    this.unknownCacheMs = settings.unknownCacheMs ?? 10_000;
    this.unknownKeys = new RateLimiterMemory({ points: settings.unknownKeysPerMinute ?? 30, duration: 60, keyPrefix: 'unknown-keys' });
  }

  /**
   * The client that owns the key; counts the request. Throws an EdgeError when the key is missing
   * or bad, or when `clientAddress` has tried too many unknown keys.
   */
  async identify(apiKey: string | undefined, clientAddress = 'unknown'): Promise<ApiClientIdentity> {
    if (!apiKey) throw new EdgeError('UNAUTHENTICATED', 401, 'send your app\'s API key in the x-api-key header');
    const client = await this.lookup(apiKey, clientAddress);
    if (!client) throw new EdgeError('UNAUTHENTICATED', 401, 'the API key is not valid or has been revoked');
    await this.usage.count(client.id);
    return client;
  }

  private async lookup(apiKey: string, clientAddress: string): Promise<Answer> {
    const cached = this.cache.get(apiKey);
    if (cached) return cached.answer;
    await this.refuseIfFlooding(clientAddress);
    try {
      const { apiClient } = await this.users.validateApiKey({ apiKey });
      const client = { id: apiClient!.id, name: apiClient!.name, scopes: apiClient!.scopes };
      this.cache.set(apiKey, { answer: client });
      return client;
    } catch (error) {
      if (error instanceof DomainError && (error.kind === 'UNAUTHENTICATED' || error.kind === 'INVALID_ARGUMENT')) {
        await this.unknownKeys.consume(clientAddress).catch(() => undefined); // counted; refused from the next
        this.cache.set(apiKey, { answer: null }, { ttl: this.unknownCacheMs });
        return null;
      }
      throw new EdgeError('SERVICE_UNAVAILABLE', 503, 'API keys cannot be checked right now; retry shortly');
    }
  }

  private async refuseIfFlooding(clientAddress: string): Promise<void> {
    const state = await this.unknownKeys.get(clientAddress);
    if (!state || state.remainingPoints > 0) return;
    const retryAfter = retryAfterSeconds(state.msBeforeNext);
    throw new EdgeError('RATE_LIMITED', 429, `too many unknown API keys from this address; retry in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
  }

  close(): void {
    this.users.close();
  }
}
