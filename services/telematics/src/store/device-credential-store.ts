// The devices' credentials (migrations 001 and 004): each bike's secret hash, its user on the
// production bus, whether it was revoked, and the bus users revoked before their JWT ran out.
import type { Database } from '../../../platform/src/database/database';
import type { BusUser, DeviceStore } from '../domain/device-registry';

/** Pushes of the revocation list take turns across replicas: each pushes the whole list as it is then. */
const REVOCATION_LOCK = 7215019;

export class DeviceCredentialStore implements DeviceStore {
  constructor(private readonly db: Database) {}

  async saveDevice(device: { bikeId: string; secretHash: string; busUser?: BusUser }, replace: boolean): Promise<{ saved: boolean; createdAt: Date; replaced?: BusUser }> {
    const { bikeId, secretHash, busUser } = device;
    const values = [bikeId, secretHash, busUser?.key ?? null, busUser?.expiresAt ?? null];
    const insert = 'INSERT INTO devices (bike_id, secret_hash, created_at, bus_user_key, bus_user_expires_at) VALUES ($1, $2, now(), $3, $4)';
    if (!replace) {
      const [row] = await this.db.query<{ created_at: Date }>(`${insert} ON CONFLICT (bike_id) DO NOTHING RETURNING created_at`, values);
      return row ? { saved: true, createdAt: row.created_at } : { saved: false, createdAt: new Date() };
    }
    return this.db.transaction(async (tx) => {
      const [previous] = await tx.query<{ bus_user_key: string | null; bus_user_expires_at: Date | null }>(
        'SELECT bus_user_key, bus_user_expires_at FROM devices WHERE bike_id = $1 FOR UPDATE',
        [bikeId],
      );
      const [row] = await tx.query<{ created_at: Date }>(
        `${insert} ON CONFLICT (bike_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, created_at = EXCLUDED.created_at,
           bus_user_key = EXCLUDED.bus_user_key, bus_user_expires_at = EXCLUDED.bus_user_expires_at, revoked_at = NULL
         RETURNING created_at`,
        values,
      );
      const replaced = previous?.bus_user_key && previous.bus_user_expires_at ? { key: previous.bus_user_key, expiresAt: previous.bus_user_expires_at } : undefined;
      if (replaced) {
        await tx.query(
          'INSERT INTO device_bus_revocations (user_key, bike_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (user_key) DO NOTHING',
          [replaced.key, bikeId, replaced.expiresAt],
        );
      }
      return { saved: true, createdAt: row.created_at, replaced };
    });
  }

  async deviceSecretHashes(bikeIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ bike_id: string; secret_hash: string }>(
      'SELECT bike_id, secret_hash FROM devices WHERE bike_id = ANY($1::uuid[]) AND revoked_at IS NULL',
      [bikeIds],
    );
    return new Map(rows.map((row) => [row.bike_id, row.secret_hash]));
  }

  async revokeDevice(bikeId: string): Promise<{ revokedAt: Date; busUser?: BusUser } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ revoked_at: Date; bus_user_key: string | null; bus_user_expires_at: Date | null }>(
        `UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE bike_id = $1
         RETURNING revoked_at, bus_user_key, bus_user_expires_at`,
        [bikeId],
      );
      if (!row) return undefined;
      if (!row.bus_user_key || !row.bus_user_expires_at) return { revokedAt: row.revoked_at };
      const busUser = { key: row.bus_user_key, expiresAt: row.bus_user_expires_at };
      await tx.query(
        'INSERT INTO device_bus_revocations (user_key, bike_id, revoked_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_key) DO NOTHING',
        [busUser.key, bikeId, row.revoked_at, busUser.expiresAt],
      );
      return { revokedAt: row.revoked_at, busUser };
    });
  }

  async withBusRevocations<T>(fn: (revoked: BusUser[]) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [REVOCATION_LOCK]);
      // An expired JWT is refused anyway: its entry can leave the list.
      await tx.query('DELETE FROM device_bus_revocations WHERE expires_at <= now()');
      const rows = await tx.query<{ user_key: string; expires_at: Date }>('SELECT user_key, expires_at FROM device_bus_revocations ORDER BY user_key');
      return fn(rows.map((row) => ({ key: row.user_key, expiresAt: row.expires_at })));
    });
  }
}
