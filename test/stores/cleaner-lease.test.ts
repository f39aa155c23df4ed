// The telematics cleaner's lease, on PGlite and on the PostgreSQL server: one holder at a time; a
// lease that runs out, or is let go, passes to the next processor that asks.
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { describeOnEachEngine } from '../support/engines';

const inMs = (ms: number) => new Date(Date.now() + ms);

describeOnEachEngine('cleaner lease', TELEMATICS_MIGRATIONS, (db) => {
  it('lets one processor clean at a time, and passes on when the lease runs out or is let go', async () => {
    const store = new TelematicsStore(db());
    expect(await store.claimCleaner('a', inMs(60_000))).toBe(true);
    expect(await store.claimCleaner('b', inMs(60_000))).toBe(false); // a holds it
    expect(await store.claimCleaner('a', inMs(60_000))).toBe(true); // a renews it
    await store.releaseCleaner('a');
    expect(await store.claimCleaner('b', inMs(-1))).toBe(true); // let go: b takes it (already run out)
    expect(await store.claimCleaner('a', inMs(60_000))).toBe(true); // b's lease ran out: a takes it back
    await store.releaseCleaner('b'); // not b's any more: nothing happens
    expect(await store.claimCleaner('b', inMs(60_000))).toBe(false);
  });
});
