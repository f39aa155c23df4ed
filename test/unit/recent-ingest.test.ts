// The dashboard's ingestion figures: inputs per second over the last full minute, and refusals by
// rule over the last hour, forgetting what is older.
import { RecentIngest } from '../../services/telematics/src/domain/recent-ingest';

describe('recent ingestion', () => {
  it('averages inputs over the last full minute and counts refusals by rule over the last hour', () => {
    let now = Date.UTC(2026, 10, 26, 9, 0, 0);
    const recent = new RecentIngest(() => now);
    for (let second = 0; second < 60; second += 1) {
      now = Date.UTC(2026, 10, 26, 9, 0, second);
      recent.received(10);
      if (second % 20 === 0) recent.refused('range.battery', 1);
    }
    recent.refused('gps.jump', 5);
    now = Date.UTC(2026, 10, 26, 9, 1, 0);
    expect(recent.readingsPerSecond()).toBeCloseTo(10, 5);
    expect(recent.refusalsLastHour()).toEqual([
      { rule: 'gps.jump', count: 5 },
      { rule: 'range.battery', count: 3 },
    ]);
    // A quiet minute later nothing arrives per second, and an hour later the refusals are gone.
    now = Date.UTC(2026, 10, 26, 9, 2, 30);
    expect(recent.readingsPerSecond()).toBe(0);
    now = Date.UTC(2026, 10, 26, 10, 1, 0);
    expect(recent.refusalsLastHour()).toEqual([]);
  });

  it('counts what the pipeline and the cleaner report through their metrics', () => {
    const recent = new RecentIngest();
    const seen: string[] = [];
    const pipeline = recent.ingestMetrics({
      received: () => seen.push('received'),
      accepted: () => undefined,
      duplicate: () => undefined,
      rejected: () => seen.push('rejected'),
      rawBytes: () => undefined,
    });
    pipeline.received('mqtt', 4);
    pipeline.rejected('mqtt', 'schema.invalid', 2);
    recent.curationMetrics({ curated: () => undefined, dropped: () => seen.push('dropped'), leaseTakeover: () => undefined, fencedCommit: () => undefined, shardHandover: () => undefined }).dropped('gps.jump');
    expect(seen).toEqual(['received', 'rejected', 'dropped']);
    expect(recent.refusalsLastHour()).toEqual([
      { rule: 'schema.invalid', count: 2 },
      { rule: 'gps.jump', count: 1 },
    ]);
  });
});
