// The device registry's cache, on its real store (PGlite and the PostgreSQL server): a spray of
// made-up bike ids costs one query per id per negative window and evicts no real bike; a revoked
// bike is refused at once on this replica; a rotation records the old bus user as revoked.
import { randomUUID } from 'node:crypto';
import { DeviceRegistry, type BusUser } from '../../services/telematics/src/domain/device-registry';
import { DeviceCredentialStore } from '../../services/telematics/src/store/device-credential-store';
import { TELEMATICS_MIGRATIONS } from '../../services/telematics/src/store/telematics-store';
import { describeOnEachEngine } from '../support/engines';

/** The store, counting the ids each lookup asks the database for. */
function countingStore(store: DeviceCredentialStore) {
  const asked: string[] = [];
  const lookups = { asked, queries: 0 };
  const original = store.deviceSecretHashes.bind(store);
  store.deviceSecretHashes = async (ids) => {
    lookups.queries += 1;
    asked.push(...ids);
    return original(ids);
  };
  return lookups;
}

const CACHE = { knownMax: 1000, knownMs: 60_000, unknownMax: 100_000, unknownMs: 60_000 };

describeOnEachEngine('device registry', TELEMATICS_MIGRATIONS, (db) => {
  it('answers 100,000 made-up ids with one query each per window, and keeps the real bike cached', async () => {
    const store = new DeviceCredentialStore(db());
    const registry = new DeviceRegistry(store, CACHE);
    const bike = randomUUID();
    const { secret } = await registry.provision(bike, false);
    const lookups = countingStore(store);
    expect(await registry.verify(bike, secret)).toBe(true);
    expect(lookups.queries).toBe(1);

    const madeUp = Array.from({ length: 100_000 }, () => randomUUID());
    for (let start = 0; start < madeUp.length; start += 5000) {
      // As the doors ask: a batch's bikes at once, the real one among them.
      expect(await registry.provisioned([bike, ...madeUp.slice(start, start + 5000)])).toEqual(new Set([bike]));
    }
    expect(lookups.asked).toHaveLength(1 + madeUp.length); // each made-up id once, the real bike not again
    expect(new Set(lookups.asked).size).toBe(lookups.asked.length);

    // Within the window: the spray again costs nothing.
    const before = lookups.queries;
    for (let start = 0; start < madeUp.length; start += 5000) await registry.provisioned(madeUp.slice(start, start + 5000));
    expect(await registry.verify(madeUp[7], 'ewd_guess')).toBe(false);
    expect(lookups.queries).toBe(before);
    // The spray goes on with fresh ids: they push out the oldest made-up ones, never the real bike.
    await registry.provisioned(Array.from({ length: 5000 }, () => randomUUID()));
    expect(await registry.verify(bike, secret)).toBe(true);
    expect(lookups.asked.filter((id) => id === bike)).toHaveLength(1);
  }, 120_000);

  it('asks again for an unknown id once its short window has passed, so a new bike is found', async () => {
    const store = new DeviceCredentialStore(db());
    const registry = new DeviceRegistry(store, { ...CACHE, unknownMs: 200 });
    const lookups = countingStore(store);
    const bike = randomUUID();
    expect(await registry.provisioned([bike])).toEqual(new Set());
    // Provisioned elsewhere (another replica), so this registry's cache does not know.
    await new DeviceRegistry(store, CACHE).provision(bike, false);
    expect(await registry.provisioned([bike])).toEqual(new Set());
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await registry.provisioned([bike])).toEqual(new Set([bike]));
    expect(lookups.queries).toBe(2);
  });

  it('refuses a revoked bike at once, and a rotation puts the old bus user on the revocation list', async () => {
    const store = new DeviceCredentialStore(db());
    const pushed: BusUser[][] = [];
    let minted = 0;
    const issuer = {
      mint: async (bikeId: string) => ({ key: `U${++minted}-${bikeId}`, jwt: 'jwt', topic: 't', clientId: 'c', expiresAt: new Date(Date.now() + 60_000) }),
      publishRevocations: async (revoked: readonly BusUser[]) => void pushed.push([...revoked]),
    };
    const registry = new DeviceRegistry(store, CACHE, { issuer });
    const bike = randomUUID();
    const first = await registry.provision(bike, false);
    const second = await registry.provision(bike, true);
    expect(await registry.verify(bike, first.secret)).toBe(false);
    expect(await registry.verify(bike, second.secret)).toBe(true);
    expect(pushed.at(-1)!.map((user) => user.key)).toContain(first.bus!.key);
    expect(pushed.at(-1)!.map((user) => user.key)).not.toContain(second.bus!.key);

    const revoked = await registry.revoke(bike);
    expect(revoked.busUser).toBe(second.bus!.key);
    expect(await registry.verify(bike, second.secret)).toBe(false); // no cache lag on this replica
    expect(pushed.at(-1)!.map((user) => user.key)).toEqual(expect.arrayContaining([first.bus!.key, second.bus!.key]));
    await expect(registry.revoke(randomUUID())).rejects.toMatchObject({ kind: 'NOT_FOUND' });
  });
});
