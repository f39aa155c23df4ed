// The payment service's store under the ledger rules, on PGlite and on the PostgreSQL server.
import { randomUUID } from 'node:crypto';
import { WalletLedger } from '../../services/payment/src/domain/wallet-ledger';
import { SandboxCardProvider } from '../../services/payment/src/providers/sandbox-card-provider';
import { LedgerStoreSql, PAYMENT_MIGRATIONS } from '../../services/payment/src/store/ledger-store';
import { describeOnEachEngine } from '../support/engines';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describeOnEachEngine('ledger store', PAYMENT_MIGRATIONS, (db) => {
  const ledger = () => {
    const store = new LedgerStoreSql(db());
    return new WalletLedger(store, new SandboxCardProvider(store), { currency: 'EUR', maxTopUpMinor: 50_000 });
  };

  const balancedTotals = async (riderId: string) => {
    const [sums] = await db().query<{ available: number; held: number }>(
      `SELECT COALESCE(SUM(available_delta_minor), 0)::int AS available, COALESCE(SUM(held_delta_minor), 0)::int AS held
       FROM ledger_entries WHERE rider_id = $1`,
      [riderId],
    );
    const wallet = await ledger().getWallet(riderId);
    expect(sums).toEqual({ available: wallet.availableMinor, held: wallet.heldMinor });
    return sums;
  };

  it('keeps the wallet equal to its ledger through top-up, hold, capture, void and refund', async () => {
    const riderId = randomUUID();
    await ledger().topUp({ riderId, amount: eur(2000), card: { number: '4242424242424242' }, idempotencyKey: randomUUID() });
    await ledger().authorize({ riderId, amount: eur(800), holdKey: 'ride:one-store', description: 'one' });
    await ledger().authorize({ riderId, amount: eur(500), holdKey: 'ride:two-store', description: 'two' });
    await ledger().capture('ride:one-store', eur(350));
    await ledger().void('ride:two-store', riderId);
    await ledger().refund({ holdKey: 'ride:one-store', amount: eur(50), idempotencyKey: randomUUID(), reason: 'test' });
    expect(await balancedTotals(riderId)).toEqual({ available: 2000 - 350 + 50, held: 0 });
    // A capture writes its two entries in one statement; they keep their order in the ledger.
    const newestFirst = await ledger().listEntries(riderId, 10);
    expect(newestFirst.map(({ entry }) => [entry.kind, entry.holdKey ?? null])).toEqual([
      ['REFUND', 'ride:one-store'],
      ['RELEASE', 'ride:two-store'],
      ['RELEASE', 'ride:one-store'],
      ['CAPTURE', 'ride:one-store'],
      ['HOLD', 'ride:two-store'],
      ['HOLD', 'ride:one-store'],
      ['TOP_UP', null],
    ]);
  });

  it('holds once for concurrent authorizations with one key, and never beyond the balance', async () => {
    const riderId = randomUUID();
    await ledger().topUp({ riderId, amount: eur(1000), card: { number: '4242424242424242' }, idempotencyKey: randomUUID() });
    await Promise.allSettled([1, 2, 3].map(() => ledger().authorize({ riderId, amount: eur(600), holdKey: 'ride:same-store', description: 'x' })));
    const others = await Promise.allSettled(
      [1, 2, 3].map((n) => ledger().authorize({ riderId, amount: eur(300), holdKey: `ride:other-${n}-store`, description: 'x' })),
    );
    expect(others.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(await balancedTotals(riderId)).toEqual({ available: 100, held: 900 });
  });

  it("makes a new rider's wallet once when their first payments arrive together", async () => {
    const riderId = randomUUID();
    const topUps = await Promise.allSettled(
      [100, 200, 300].map((amount) => ledger().topUp({ riderId, amount: eur(amount), card: { number: '4242424242424242' }, idempotencyKey: randomUUID() })),
    );
    expect(topUps.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const [wallets] = await db().query<{ count: number }>('SELECT count(*)::int AS count FROM wallets WHERE rider_id = $1', [riderId]);
    expect(wallets.count).toBe(1);
    expect(await balancedTotals(riderId)).toEqual({ available: 600, held: 0 });
  });

  it('pages the ledger newest first', async () => {
    const riderId = randomUUID();
    for (const amount of [100, 200, 300]) {
      await ledger().topUp({ riderId, amount: eur(amount), card: { number: '4242424242424242' }, idempotencyKey: randomUUID() });
    }
    const first = await ledger().listEntries(riderId, 2);
    const second = await ledger().listEntries(riderId, 2, first[1].position);
    expect([...first, ...second].map(({ entry }) => entry.availableDeltaMinor)).toEqual([300, 200, 100]);
  });
});
