// The user service's tables: riders, API clients, identity checks and the token signing key.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Sql } from '../../../platform/src/database/database';
import type { ApiClient, ApiClientScope, ApiClientStore } from '../domain/api-clients';
import type { RiderStore } from '../domain/rider-accounts';
import type { Rider, RiderStatus } from '../domain/rider';
import type { IdentityCheckStore } from '../domain/identity-checks';
import type { IdentityOutcome } from '../domain/identity-provider';
import type { SignUpStore } from '../domain/sign-ups';

export const USER_MIGRATIONS = join(__dirname, 'migrations');

interface RiderRow {
  id: string;
  email: string | null;
  pending_email: string | null;
  display_name: string;
  status: RiderStatus;
  verified: boolean;
  created_at: Date;
  updated_at: Date;
  password_hash?: string;
}

const RIDER_COLUMNS = 'id, email, pending_email, display_name, status, verified, created_at, updated_at';

const toRider = (row: RiderRow): Rider => ({
  id: row.id,
  email: row.email ?? row.pending_email ?? '',
  emailConfirmed: row.email !== null,
  displayName: row.display_name,
  status: row.status,
  verified: row.verified,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface ApiClientRow {
  id: string;
  name: string;
  key_prefix: string;
  active: boolean;
  created_at: Date;
  scopes: ApiClientScope[];
}

const API_CLIENT_COLUMNS = 'id, name, key_prefix, active, created_at, scopes';

const toApiClient = (row: ApiClientRow): ApiClient => ({
  id: row.id,
  name: row.name,
  keyPrefix: row.key_prefix,
  active: row.active,
  createdAt: row.created_at,
  scopes: row.scopes,
});

export class UserStore implements RiderStore, ApiClientStore, SignUpStore, IdentityCheckStore {
  constructor(private readonly db: Sql) {}

  async insertRider(rider: Rider, passwordHash: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO riders (id, email, display_name, password_hash, status, verified, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (email) DO NOTHING
       RETURNING id`,
      [rider.id, rider.email, rider.displayName, passwordHash, rider.status, rider.verified, rider.createdAt],
    );
    return rows.length === 1;
  }

  async findRider(id: string): Promise<Rider | undefined> {
    const rows = await this.db.query<RiderRow>(`SELECT ${RIDER_COLUMNS} FROM riders WHERE id = $1`, [id]);
    return rows[0] && toRider(rows[0]);
  }

  async findRiders(ids: readonly string[]): Promise<Rider[]> {
    const rows = await this.db.query<RiderRow>(`SELECT ${RIDER_COLUMNS} FROM riders WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toRider);
  }

  async insertSignUp(rider: Rider, passwordHash: string, code: { hash: string; expiresAt: Date } | undefined): Promise<void> {
    await this.db.query(
      `INSERT INTO riders (id, email, pending_email, display_name, password_hash, status, verified, email_code_hash, email_code_expires_at, created_at, updated_at)
       VALUES ($1, NULL, $2, $3, $4, $5, false, $6, $7, $8, $8)`,
      [rider.id, rider.email, rider.displayName, passwordHash, rider.status, code?.hash ?? null, code?.expiresAt ?? null, rider.createdAt],
    );
  }

  async emailTaken(email: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM riders WHERE email = $1', [email])).length > 0;
  }

  async confirmEmail(riderId: string, codeHash: string): Promise<Rider | 'taken' | undefined> {
    try {
      const rows = await this.db.query<RiderRow>(
        `UPDATE riders SET email = pending_email, pending_email = NULL, email_code_hash = NULL, email_code_expires_at = NULL, updated_at = now()
         WHERE id = $1 AND email_code_hash = $2 AND email_code_expires_at > now()
         RETURNING ${RIDER_COLUMNS}`,
        [riderId, codeHash],
      );
      return rows[0] && toRider(rows[0]);
    } catch (error) {
      // Someone else confirmed the address first (unique email): this sign-up cannot have it.
      if ((error as { code?: string }).code === '23505') return 'taken';
      throw error;
    }
  }

  async recordIdentityCheck(riderId: string, outcome: IdentityOutcome): Promise<Rider | undefined> {
    // One statement, so the check is kept exactly when the rider's flag follows it.
    const rows = await this.db.query<RiderRow>(
      `WITH kept AS (
         INSERT INTO identity_checks (id, rider_id, status, reason, provider_reference) VALUES ($3, $1, $4, $5, $6)
       )
       UPDATE riders SET verified = verified OR $2, updated_at = now() WHERE id = $1 RETURNING ${RIDER_COLUMNS}`,
      [riderId, outcome.status === 'APPROVED', randomUUID(), outcome.status, outcome.reason ?? '', outcome.reference],
    );
    return rows[0] && toRider(rows[0]);
  }

  async findCredentials(email: string): Promise<{ rider: Rider; passwordHash: string } | undefined> {
    const rows = await this.db.query<RiderRow>(
      `SELECT ${RIDER_COLUMNS}, password_hash FROM riders WHERE email = $1`,
      [email],
    );
    return rows[0] && { rider: toRider(rows[0]), passwordHash: rows[0].password_hash ?? '' };
  }

  async updateRider(
    id: string,
    change: { status?: RiderStatus; verified?: boolean; reason?: string },
  ): Promise<Rider | undefined> {
    const rows = await this.db.query<RiderRow>(
      `UPDATE riders SET
         status = COALESCE($2, status),
         verified = COALESCE($3, verified),
         status_reason = COALESCE($4, status_reason),
         updated_at = now()
       WHERE id = $1
       RETURNING ${RIDER_COLUMNS}`,
      [id, change.status ?? null, change.verified ?? null, change.reason ?? null],
    );
    return rows[0] && toRider(rows[0]);
  }

  async insertApiClient(client: ApiClient, keyHash: string): Promise<void> {
    await this.db.query(
      `INSERT INTO api_clients (id, name, key_prefix, key_hash, active, created_at, scopes) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [client.id, client.name, client.keyPrefix, keyHash, client.active, client.createdAt, client.scopes],
    );
  }

  async findApiClientByKeyHash(keyHash: string): Promise<ApiClient | undefined> {
    const rows = await this.db.query<ApiClientRow>(
      `SELECT ${API_CLIENT_COLUMNS} FROM api_clients WHERE key_hash = $1`,
      [keyHash],
    );
    return rows[0] && toApiClient(rows[0]);
  }

  async deactivateApiClient(id: string): Promise<ApiClient | undefined> {
    const rows = await this.db.query<ApiClientRow>(
      `UPDATE api_clients SET active = false WHERE id = $1 RETURNING ${API_CLIENT_COLUMNS}`,
      [id],
    );
    return rows[0] && toApiClient(rows[0]);
  }

  /** The stored signing key, or the one made by makeKey if there is none yet (first start). */
  async loadOrCreateSigningKey(makeKey: () => string): Promise<string> {
    await this.db.query(
      `INSERT INTO token_signing_keys (kid, private_key_pem) VALUES ('default', $1) ON CONFLICT (kid) DO NOTHING`,
      [makeKey()],
    );
    const rows = await this.db.query<{ private_key_pem: string }>(
      `SELECT private_key_pem FROM token_signing_keys WHERE kid = 'default'`,
    );
    return rows[0].private_key_pem;
  }
}
