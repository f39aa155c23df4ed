// The telematics cleaner's shard leases, on PGlite and on the PostgreSQL server: one holder per
// shard at a time, on the database's clock; a fence that goes up at each takeover; a commit or an
// intent under a fence that is no longer current is refused; a batch of several shards commits only
// while every one of their leases is its holder's; a reading is decided by one batch only.
import { FencedOffError } from '../../services/telematics/src/domain/curation';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { describeOnEachEngine } from '../support/engines';

const BIKE = '0b0e7c1e-0000-4000-8000-0000000000c1';
const OTHER_BIKE = '0b0e7c1e-0000-4000-8000-0000000000c2';
const reading = (sequence: number, bikeId = BIKE) => ({
  reading: { bikeId, sequence, recordedAt: new Date(Date.UTC(2026, 10, 26, 9, 0, sequence)), latitude: 52.37, longitude: 4.9, speedKmh: 15, batteryPercent: 80, batteryVoltage: 40, odometerMeters: sequence, assistLevel: 2, faultCodes: [], rideId: undefined },
  receivedAt: new Date(Date.UTC(2026, 10, 26, 9, 0, sequence)),
  door: 'http' as const,
});
type Lease = { shard: number; fence: number; holder: string };
const commitOf = (batchId: number, leases: Lease[], decided: { bikeId: string; sequence: number }[]) => ({
  batchId,
  leases,
  decided,
  states: [],
  points: [],
  lastSeen: [],
  rejects: [],
});

describeOnEachEngine('cleaner shard leases', TELEMATICS_MIGRATIONS, (db) => {
  const of = (sequences: number[], bikeId = BIKE) => sequences.map((sequence) => ({ bikeId, sequence }));
  const decidedBy = async (bikeId: string) =>
    (await db().query<{ sequence: string; curation_batch: string | null }>('SELECT sequence, curation_batch FROM readings WHERE bike_id = $1 ORDER BY sequence', [bikeId])).map((row) => [
      Number(row.sequence),
      row.curation_batch === null ? null : Number(row.curation_batch),
    ]);

  it('makes the shards once, and hands each to one holder at a time with a fence that goes up at every change of hands', async () => {
    const store = new TelematicsStore(db());
    expect(await store.cleanerShards(4)).toBe(4);
    expect(await store.cleanerShards(16)).toBe(4); // the database's count stands
    const a = await store.claimShards('a', 60_000, 2);
    expect(a).toHaveLength(2);
    const b = await store.claimShards('b', 60_000, 4);
    expect(b.map((lease) => lease.shard).sort()).toEqual([0, 1, 2, 3].filter((shard) => !a.some((lease) => lease.shard === shard)));
    expect(await store.claimShards('c', 60_000, 4)).toEqual([]); // all held
    expect((await store.renewShards('a', 60_000, a)).sort()).toEqual(a.map((lease) => lease.shard).sort());

    // a lets one go: c takes it, handed over (not taken over), under a higher fence; a cannot renew it.
    await store.releaseShards('a', [a[0].shard]);
    const [handed] = await store.claimShards('c', 60_000, 4);
    expect(handed).toEqual({ shard: a[0].shard, fence: a[0].fence + 1, previous: 'a', released: true });
    expect(await store.renewShards('a', 60_000, [a[0]])).toEqual([]);

    // b's leases run out on the database's clock: c takes them over.
    await store.renewShards('b', -1, b);
    const taken = await store.claimShards('c', 60_000, 4);
    expect(taken.map((lease) => ({ previous: lease.previous, released: lease.released }))).toEqual(b.map(() => ({ previous: 'b', released: false })));
    expect(await store.heldShards()).toHaveLength(4);
  });

  it('refuses the intent and the commit of a holder whose lease passed on, and never decides a reading twice', async () => {
    const store = new TelematicsStore(db());
    await store.insertReadings([reading(1), reading(2), reading(3)]);
    const shard = 3; // made by the test above (the count stays 4)
    for (const holder of ['a', 'c']) await store.releaseShards(holder, [0, 1, 2, 3]); // what the test above left held
    const [stale] = await store.claimShards('stale', 0, 4).then((leases) => leases.filter((lease) => lease.shard === shard));
    const staleLease = { ...stale, holder: 'stale' };
    const staleBatch = await store.recordCurationIntent([staleLease], []);
    expect(staleBatch).toEqual(expect.any(Number));

    // Its lease (0 ms) ran out: another holder takes the shard over.
    const [live] = (await store.claimShards('live', 60_000, 4)).filter((lease) => lease.shard === shard);
    const liveLease = { ...live, holder: 'live' };
    expect(live.fence).toBeGreaterThan(stale.fence);
    await expect(store.recordCurationIntent([staleLease], [])).rejects.toBeInstanceOf(FencedOffError);
    await expect(store.commitCuration(commitOf(staleBatch, [staleLease], of([1, 2])))).rejects.toBeInstanceOf(FencedOffError);

    const liveBatch = await store.recordCurationIntent([liveLease], []);
    expect(liveBatch).toBeGreaterThan(staleBatch); // from the sequence: never reused
    await store.commitCuration(commitOf(liveBatch, [liveLease], of([1, 2])));
    // A batch that would decide reading 2 again commits nothing.
    const again = await store.recordCurationIntent([liveLease], []);
    await expect(store.commitCuration(commitOf(again, [liveLease], of([2, 3])))).rejects.toThrow(/another batch already decided/);
    expect(await decidedBy(BIKE)).toEqual([
      [1, liveBatch],
      [2, liveBatch],
      [3, null],
    ]);
  });

  it('commits a batch of several shards only while every one of their leases is its holder\'s', async () => {
    const store = new TelematicsStore(db());
    await store.insertReadings([reading(1, OTHER_BIKE), reading(2, OTHER_BIKE)]);
    for (const holder of ['stale', 'live']) await store.releaseShards(holder, [0, 1, 2, 3]); // what the test above left held
    // The batch's holder takes all four shards and cleans readings of two bikes, whatever their shards.
    const leases = (await store.claimShards('run', 60_000, 4)).map((lease) => ({ shard: lease.shard, fence: lease.fence, holder: 'run' }));
    const lost = leases[1];
    const batch = await store.recordCurationIntent(leases, ['dt=2026-11-26/hour=09']);
    expect(await store.uncommittedIntents([lost.shard])).toContainEqual({ batchId: batch, shards: leases.map((lease) => lease.shard).sort((a, b) => a - b), partitions: ['dt=2026-11-26/hour=09'] });

    // One of its leases runs out and is taken over before the batch commits: nothing of it counts.
    await store.renewShards('run', -1, [lost]);
    expect((await store.claimShards('thief', 60_000, 4)).map((lease) => lease.shard)).toEqual([lost.shard]);
    const refused = await store.commitCuration(commitOf(batch, leases, [...of([3]), ...of([1, 2], OTHER_BIKE)])).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FencedOffError);
    expect((refused as FencedOffError).leases).toEqual([lost]);
    expect(await decidedBy(OTHER_BIKE)).toEqual([
      [1, null],
      [2, null],
    ]);
    expect((await decidedBy(BIKE))[2]).toEqual([3, null]);

    // The next batch with the lost shard gets no intent; one without it commits.
    await expect(store.recordCurationIntent(leases, [])).rejects.toMatchObject({ leases: [lost] });
    const rest = leases.filter((lease) => lease !== lost);
    const next = await store.recordCurationIntent(rest, []);
    await store.commitCuration(commitOf(next, rest, [...of([3]), ...of([1, 2], OTHER_BIKE)]));
    expect((await decidedBy(BIKE))[2]).toEqual([3, next]);
    expect(await decidedBy(OTHER_BIKE)).toEqual([
      [1, next],
      [2, next],
    ]);
    expect(await db().query('SELECT shard, shards FROM curation_batches WHERE id = $1', [next])).toEqual([{ shard: Math.min(...rest.map((lease) => lease.shard)), shards: rest.map((lease) => lease.shard).sort((a, b) => a - b) }]);
  });
});
