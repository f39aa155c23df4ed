// API clients: the mobile apps allowed to call the public API. A key is shown once at creation;
// only its hash is stored, so a leaked database does not leak working keys.
import { randomUUID } from 'node:crypto';
import { notFound, unauthenticated } from '../../../platform/src/errors';
import { generateApiKey, hashRandomSecret } from './secrets';

export interface ApiClient {
  id: string;
  name: string;
  keyPrefix: string;
  active: boolean;
  createdAt: Date;
  /** What the key may do beyond the rider API (API_CLIENT_SCOPES). */
  scopes: ApiClientScope[];
}

/**
 * "ops": fleet-wide figures for operations staff (fleetImpact). "developer": any GraphQL document,
 * where a key without a scope (a shipped app's) runs only its app's trusted documents at the gateway.
 */
export const API_CLIENT_SCOPES = ['ops', 'developer'] as const;
export type ApiClientScope = (typeof API_CLIENT_SCOPES)[number];

export interface ApiClientStore {
  insertApiClient(client: ApiClient, keyHash: string): Promise<void>;
  findApiClientByKeyHash(keyHash: string): Promise<ApiClient | undefined>;
  deactivateApiClient(id: string): Promise<ApiClient | undefined>;
}

export class ApiClientRegistry {
  constructor(private readonly store: ApiClientStore) {}

  async register(name: string, scopes: ApiClientScope[] = []): Promise<{ client: ApiClient; key: string }> {
    const { key, prefix, hash } = generateApiKey();
    const client: ApiClient = { id: randomUUID(), name: name.trim(), keyPrefix: prefix, active: true, createdAt: new Date(), scopes: [...new Set(scopes)] };
    await this.store.insertApiClient(client, hash);
    return { client, key };
  }

  async validate(key: string): Promise<ApiClient> {
    const client = await this.store.findApiClientByKeyHash(hashRandomSecret(key));
    if (!client || !client.active) throw unauthenticated('API key is not valid or has been revoked');
    return client;
  }

  async revoke(id: string): Promise<ApiClient> {
    const client = await this.store.deactivateApiClient(id);
    if (!client) throw notFound(`API client ${id} does not exist`);
    return client;
  }
}
