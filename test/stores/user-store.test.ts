// The user service's store under its domain rules, on PGlite and on the PostgreSQL server.
import { randomUUID } from 'node:crypto';
import { AccessTokenIssuer, generateSigningKeyPem } from '../../services/user/src/domain/access-tokens';
import { ApiClientRegistry } from '../../services/user/src/domain/api-clients';
import { LoginThrottle } from '../../services/user/src/domain/login-throttle';
import { RiderAccounts } from '../../services/user/src/domain/rider-accounts';
import { attemptCounts } from '../../services/user/src/store/attempt-counts';
import { USER_MIGRATIONS, UserStore } from '../../services/user/src/store/user-store';
import { describeOnEachEngine } from '../support/engines';

describeOnEachEngine('user store', USER_MIGRATIONS, (db) => {
  const accounts = async () => {
    const store = new UserStore(db());
    const tokens = await AccessTokenIssuer.fromPem(await store.loadOrCreateSigningKey(generateSigningKeyPem), {
      issuer: 'test',
      audience: 'test',
      ttlSeconds: 60,
    });
    return { store, riders: new RiderAccounts(store, tokens, new LoginThrottle(attemptCounts(db()), { maxFailuresPerAccountAndAddress: 3, maxFailuresPerAddress: 10, slowDownAfterFailuresPerAccount: 5, lockoutSeconds: 60 })), apiClients: new ApiClientRegistry(store) };
  };

  it('keeps riders, refuses a second rider with the same email, and logs them in', async () => {
    const { riders } = await accounts();
    const email = `Store-${randomUUID()}@Example.test`;
    const rider = await riders.register({ email, displayName: 'Store Rider', password: 'a long password' });
    await expect(riders.register({ email: email.toLowerCase(), displayName: 'Twin', password: 'another password' })).rejects.toThrow(/already exists/);
    expect(await riders.get(rider.id)).toEqual(rider);
    expect((await riders.getMany([rider.id, randomUUID()])).map((found) => found.id)).toEqual([rider.id]);
    const login = await riders.login(email, 'a long password');
    expect(login.rider.id).toBe(rider.id);
  });

  it('changes only what it is asked to change', async () => {
    const { riders } = await accounts();
    const rider = await riders.register({ email: `${randomUUID()}@example.test`, displayName: 'R', password: 'a long password' });
    const verified = await riders.confirmIdentity(rider.id);
    const suspended = await riders.setStatus(rider.id, 'SUSPENDED', 'test');
    expect({ verified: suspended.verified, status: suspended.status }).toEqual({ verified: true, status: 'SUSPENDED' });
    expect(verified.updatedAt.getTime()).toBeGreaterThanOrEqual(rider.updatedAt.getTime());
  });

  it('finds API clients by the hash of their key only', async () => {
    const { apiClients } = await accounts();
    const { client, key } = await apiClients.register('Store test app');
    expect((await apiClients.validate(key)).id).toBe(client.id);
    await apiClients.revoke(client.id);
    await expect(apiClients.validate(key)).rejects.toThrow(/revoked/);
  });

  it('makes the token signing key once and keeps it', async () => {
    const store = new UserStore(db());
    const first = await store.loadOrCreateSigningKey(generateSigningKeyPem);
    expect(await store.loadOrCreateSigningKey(generateSigningKeyPem)).toBe(first);
  });

  it('keeps attempt counts in the database: every replica sees the same count, a restart keeps it, and keys are hashed', async () => {
    const settings = { points: 2, windowSeconds: 60 };
    const replicaA = attemptCounts(db())('store-test', settings);
    const replicaB = attemptCounts(db())('store-test', settings);
    const key = `someone-${randomUUID()}@example.test`;
    await replicaA.consume(key);
    await replicaB.consume(key);
    await expect(replicaA.consume(key)).rejects.toMatchObject({ consumedPoints: 3, remainingPoints: 0 });
    const restarted = attemptCounts(db())('store-test', settings);
    expect((await restarted.get(key))?.consumedPoints).toBe(3);
    // Another kind of count never sees this one's keys.
    expect(await attemptCounts(db())('other-kind', settings).get(key)).toBeNull();
    const rows = await db().query<{ key: string }>('SELECT key FROM attempt_counts');
    expect(rows.map((row) => row.key).join(' ')).not.toContain('example.test');
    expect(await restarted.delete(key)).toBe(true);
    expect(await replicaA.get(key)).toBeNull();
  });
});
