// API keys: every request names its client app with `x-api-key`. Keys are checked against the user
// service (which stores only their hashes) and the answer is cached briefly, so a busy app costs
// one gRPC call per key per cache period. Each key's requests are counted.
import { UserServiceClient, UserServiceService } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { DomainError } from '../../services/platform/src/errors';
import { createClient } from '../../services/platform/src/grpc/client';
import type { MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { EdgeError } from './edge-error';
import type { UsageCounter } from './usage-counter';

export interface ApiClientIdentity {
  id: string;
  name: string;
  /** What the key may do beyond the rider API, for example "ops". */
  scopes: string[];
}

export class ApiKeyCheck {
  private readonly cache = new Map<string, { client?: ApiClientIdentity; until: number }>();
  private readonly users;

  constructor(
    userServiceAddress: string,
    mesh: MeshCredentials,
    private readonly cacheMs: number,
    private readonly usage: UsageCounter,
  ) {
    this.users = createClient(UserServiceClient, UserServiceService, { address: userServiceAddress, defaultDeadlineMs: 2000, peerName: 'user', mesh });
  }

  /** The client that owns the key; counts the request. Throws an EdgeError when the key is bad. */
  async identify(apiKey: string | undefined): Promise<ApiClientIdentity> {
    if (!apiKey) throw new EdgeError('UNAUTHENTICATED', 401, 'send your app\'s API key in the x-api-key header');
    const client = await this.lookup(apiKey);
    if (!client) throw new EdgeError('UNAUTHENTICATED', 401, 'the API key is not valid or has been revoked');
    await this.usage.count(client.id);
    return client;
  }

  private async lookup(apiKey: string): Promise<ApiClientIdentity | undefined> {
    const cached = this.cache.get(apiKey);
    if (cached && cached.until > Date.now()) return cached.client;
    try {
      const { apiClient } = await this.users.validateApiKey({ apiKey });
      const client = { id: apiClient!.id, name: apiClient!.name, scopes: apiClient!.scopes };
      this.remember(apiKey, client);
      return client;
    } catch (error) {
      if (error instanceof DomainError && (error.kind === 'UNAUTHENTICATED' || error.kind === 'INVALID_ARGUMENT')) {
        this.remember(apiKey, undefined);
        return undefined;
      }
      throw new EdgeError('SERVICE_UNAVAILABLE', 503, 'API keys cannot be checked right now; retry shortly');
    }
  }

  private remember(apiKey: string, client: ApiClientIdentity | undefined): void {
    if (this.cache.size > 10_000) this.cache.clear(); // a flood of made-up keys must not grow memory
    this.cache.set(apiKey, { client, until: Date.now() + this.cacheMs });
  }

  close(): void {
    this.users.close();
  }
}
