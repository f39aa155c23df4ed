// The file door (the seed's "file upload" trigger): an NDJSON or CSV file of readings dropped into
// the landing folder is imported. Write it under a name starting with "." and rename it when it
// is complete: only complete names (*.ndjson, *.csv) are picked up. The folder is watched (no
// polling); files already there at start are imported too, so one dropped while the service was
// down, or cut short by a crash, is not forgotten: re-importing is safe, since duplicates count once.
// After its readings are durable, a file moves to imported/ with a summary beside it. A file that
// cannot be read at all moves to failed/ with the reason; it is never deleted.
import { existsSync, mkdirSync, readdirSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Logger } from '../../../platform/src/logger';
import { OPERATOR_SENDER } from '../domain/ingest-pipeline';
import { BATCH_LIMIT, type Arrival, type ReadingIntake } from '../domain/reading';
import { ndjsonPayloads } from './reading-payloads';
import { IngestSummary } from '../domain/ingest-summary';

const IMPORTABLE = /^[^.].*\.(ndjson|csv)$/i;

function payloadsOf(name: string, text: string): Pick<Arrival, 'encoding' | 'payload'>[] {
  if (name.toLowerCase().endsWith('.ndjson')) return ndjsonPayloads(text);
  const records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  // Empty cells are absent fields (proto3: their zero value), as in the JSON mapping.
  return records.map((record) => ({
    encoding: 'csv',
    payload: JSON.stringify(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ''))),
  }));
}

export function startLandingFileDoor(options: { dir: string; intake: ReadingIntake; logger: Logger }): { stop(): Promise<void> } {
  const { dir, intake, logger } = options;
  for (const sub of ['imported', 'failed']) mkdirSync(join(dir, sub), { recursive: true });
  const queued = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const importFile = async (name: string): Promise<void> => {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return; // gone already (moved by another replica, or renamed away)
    }
    let payloads: Pick<Arrival, 'encoding' | 'payload'>[];
    try {
      payloads = payloadsOf(name, text);
    } catch (error) {
      const reason = `the file cannot be read as ${name.split('.').pop()}: ${(error as Error).message}`;
      const kept = existsSync(join(dir, 'failed', name)) ? `${Date.now()}-${name}` : name;
      renameSync(path, join(dir, 'failed', kept));
      writeFileSync(join(dir, 'failed', `${kept}.reason.txt`), `${reason}\n`);
      logger.warn({ file: name, reason }, 'landing file could not be read; moved to failed/');
      return;
    }
    const summary = new IngestSummary();
    const receivedAt = new Date();
    for (let start = 0; start < payloads.length; start += BATCH_LIMIT) {
      const chunk = payloads.slice(start, start + BATCH_LIMIT);
      summary.add(await intake.submit(chunk.map((payload) => ({ door: 'file', sender: OPERATOR_SENDER, receivedAt, ...payload }))), start);
    }
    // Only now, with every reading durable, does the file leave the landing folder. A file of the
    // same name imported earlier is kept: this one gets the time in its name.
    const kept = existsSync(join(dir, 'imported', name)) ? `${Date.now()}-${name}` : name;
    renameSync(path, join(dir, 'imported', kept));
    writeFileSync(join(dir, 'imported', `${kept}.result.json`), `${JSON.stringify(summary, null, 2)}\n`);
    logger.info({ file: name, accepted: summary.acceptedCount, duplicates: summary.duplicateCount, queued: summary.queuedCount, rejected: summary.rejectedCount }, 'landing file imported');
  };

  const enqueue = (name: string) => {
    if (stopped || !IMPORTABLE.test(name) || queued.has(name)) return;
    queued.add(name);
    chain = chain
      .then(() => importFile(name))
      .catch((error: unknown) => logger.error({ err: error, file: name }, 'landing file import failed; it stays in the landing folder and is retried at the next start'))
      .finally(() => queued.delete(name));
  };

  const watcher: FSWatcher = watch(dir, (_event, name) => {
    if (name) enqueue(name.toString());
  });
  for (const name of readdirSync(dir).sort()) enqueue(name);
  return {
    stop: async () => {
      stopped = true;
      watcher.close();
      await chain;
    },
  };
}
