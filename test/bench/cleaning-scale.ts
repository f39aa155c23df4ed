// `npm run bench:cleaning`: how the telematics cleaning scales out. A backlog of readings waits in
// one PostgreSQL database; 1, 2, then 3 cleaner processes (test/support/cleaning-processor.ts, 8
// shards, batches of 5,000) clean it, and the time from their start to the last reading decided
// gives readings per second. Each run's ride totals, curated Parquet and rejects are compared with
// the single processor's: more processors must make the same data, faster or not.
// Needs the PostgreSQL server on 127.0.0.1:5432 (BENCH_BIKES, BENCH_READINGS_PER_BIKE size it).
import { isDeepStrictEqual } from 'node:util';
import { Cleaner, cleanedUp, Place, type Outcome } from '../support/cleaning-cluster';
import { cleaningRounds } from '../support/cleaning-input';

const BIKES = Number(process.env.BENCH_BIKES ?? 1000);
const PER_BIKE = Number(process.env.BENCH_READINGS_PER_BIKE ?? 200);

async function run(processors: number): Promise<{ readings: number; seconds: number; outcome: Outcome }> {
  const place = await new Place().open(`cleaning_bench_${processors}`);
  const cleaners: Cleaner[] = [];
  try {
    const rounds = cleaningRounds(BIKES, PER_BIKE);
    for (const round of rounds) await place.store.insertReadings(round);
    const readings = rounds.reduce((sum, round) => sum + round.length, 0);
    const started = Date.now();
    for (let index = 0; index < processors; index += 1) cleaners.push(new Cleaner(place, `bench-${index}`, { CLEANER_BATCH_LIMIT: '5000' }));
    await cleanedUp(place, 600_000);
    const seconds = (Date.now() - started) / 1000;
    await Promise.all(cleaners.map((cleaner) => cleaner.stop()));
    return { readings, seconds, outcome: await place.outcome() };
  } finally {
    await Promise.all(cleaners.map((cleaner) => cleaner.stop()));
    await place.close();
  }
}

async function main(): Promise<void> {
  const rows: string[] = [];
  let single: { rate: number; outcome: Outcome } | undefined;
  for (const processors of [1, 2, 3]) {
    const { readings, seconds, outcome } = await run(processors);
    const rate = readings / seconds;
    single ??= { rate, outcome };
    const same = isDeepStrictEqual(outcome, single.outcome);
    rows.push(`| ${processors} | ${readings} | ${seconds.toFixed(1)} | ${Math.round(rate)} | ${(rate / single.rate).toFixed(2)} | ${same ? 'yes' : 'NO'} |`);
  }
  console.log(`cleaning a backlog of ${BIKES} bikes x ${PER_BIKE} readings (process start included)\n`);
  console.log('| processors | readings | seconds | readings/s | vs 1 | same data as 1 |\n|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
