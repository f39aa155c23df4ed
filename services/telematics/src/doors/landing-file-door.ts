// The file door (the seed's "file upload" trigger): an NDJSON or CSV file of readings dropped into
// the landing folder is imported. Write it under a name starting with "." and rename it when it
// is complete: only complete names (*.ndjson, *.csv) are picked up. The folder is watched (no
// polling); files already there at start are imported too, so one dropped while the service was
// down, or cut short by a crash, is not forgotten: re-importing is safe, since duplicates count once.
// After its readings are durable, a file moves to imported/ with a summary beside it. A file that
// cannot be imported moves to failed/ with the reason beside it; it is never deleted.
//
// Only regular files are read, and only up to maxFileBytes: a symbolic link (to a secret, to
// /dev/zero, or to nothing), a FIFO, a device or a folder is moved aside unread, and so is a name
// this door does not take. A file is streamed a chunk at a time and handed over in batches, so a
// large one neither fills the memory nor holds the event loop.
import { constants, existsSync, mkdirSync, readdirSync, renameSync, watch, writeFileSync, type FSWatcher, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import type { Logger } from '../../../platform/src/logger';
import { OPERATOR_SENDER } from '../domain/ingest-pipeline';
import { BATCH_LIMIT, type Arrival, type ReadingIntake } from '../domain/reading';
import { IngestSummary } from '../domain/ingest-summary';
import { ndjsonPayload } from './reading-payloads';

const IMPORTABLE = /^[^.][^\n\r]*\.(ndjson|csv)$/i;
/** What the door leaves alone: a file still being written (".name"), and its own folders. */
const NOT_OURS = (name: string) => name.startsWith('.') || name === 'imported' || name === 'failed';
/** A reading is well under 1 KB; a longer line is refused without being kept whole. */
const MAX_LINE_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

type Payload = Pick<Arrival, 'encoding' | 'payload'>;

/** Why a file is not read at all, or undefined when it is a regular file within the limit. */
function refusalOf(stats: Stats, maxFileBytes: number): string | undefined {
  if (stats.isSymbolicLink()) return 'a symbolic link: only regular files are imported (copy the file itself into landing/)';
  if (!stats.isFile()) {
    const kind = stats.isFIFO() ? 'a FIFO' : stats.isDirectory() ? 'a folder' : stats.isSocket() ? 'a socket' : 'a device';
    return `${kind}: only regular files are imported`;
  }
  if (stats.size > maxFileBytes) return `${stats.size} bytes, over the limit of ${maxFileBytes} (TELEMATICS_LANDING_MAX_FILE_BYTES): split it into smaller files`;
  return undefined;
}

/** The non-empty lines of NDJSON, a chunk at a time; a line over MAX_LINE_BYTES is cut to its start (the schema refuses it). */
async function* ndjsonLines(handle: FileHandle): AsyncGenerator<Payload> {
  let partial = '';
  let overlong = false;
  const emit = ndjsonPayload;
  for await (const chunk of handle.createReadStream({ encoding: 'utf8', highWaterMark: READ_CHUNK_BYTES, autoClose: false })) {
    const lines = (partial + (chunk as string)).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const payload = emit(overlong ? `${line.slice(0, 1024)}… (a line over ${MAX_LINE_BYTES} bytes)` : line);
      overlong = false;
      if (payload) yield payload;
    }
    if (partial.length > MAX_LINE_BYTES) {
      // Keep its start only, for the rejection to show; the rest of the line is skipped.
      partial = partial.slice(0, 1024);
      overlong = true;
    }
  }
  const last = emit(overlong ? `${partial}… (a line over ${MAX_LINE_BYTES} bytes)` : partial);
  if (last) yield last;
}

/** CSV records as JSON objects of their columns; empty cells are absent fields (proto3: their zero value). */
async function* csvRecords(handle: FileHandle): AsyncGenerator<Payload> {
  const parser = handle
    .createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false })
    .pipe(parseCsv({ columns: true, skip_empty_lines: true, trim: true, max_record_size: MAX_LINE_BYTES }));
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    yield { encoding: 'csv', payload: JSON.stringify(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ''))) };
  }
}

export function startLandingFileDoor(options: { dir: string; intake: ReadingIntake; logger: Logger; maxFileBytes: number }): { stop(): Promise<void> } {
  const { dir, intake, logger, maxFileBytes } = options;
  for (const sub of ['imported', 'failed']) mkdirSync(join(dir, sub), { recursive: true });
  const queued = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  /** Moves a file (or link, or FIFO) aside to failed/, unread, with the reason beside it. */
  const moveToFailed = (name: string, reason: string) => {
    const kept = existsSync(join(dir, 'failed', name)) ? `${Date.now()}-${name}` : name;
    renameSync(join(dir, name), join(dir, 'failed', kept));
    writeFileSync(join(dir, 'failed', `${kept}.reason.txt`), `${reason}\n`);
    logger.warn({ file: name, reason }, 'landing file not imported; moved to failed/');
  };

  const importFile = async (name: string): Promise<void> => {
    const path = join(dir, name);
    let stats: Stats;
    try {
      stats = await lstat(path);
    } catch {
      return; // gone already (moved by another replica, or renamed away)
    }
    if (!IMPORTABLE.test(name)) return moveToFailed(name, 'only files named <name>.ndjson or <name>.csv (on one line) are imported');
    const refused = refusalOf(stats, maxFileBytes);
    if (refused) return moveToFailed(name, refused);
    // No link followed, and no wait on a FIFO swapped in since the lstat; fstat checks what was opened.
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      return moveToFailed(name, `it cannot be opened: ${(error as Error).message}`);
    }
    const summary = new IngestSummary();
    try {
      const opened = refusalOf(await handle.stat(), maxFileBytes);
      if (opened) return moveToFailed(name, opened);
      const receivedAt = new Date();
      const submit = async (batch: Payload[], first: number) => {
        if (batch.length === 0) return;
        summary.add(await intake.submit(batch.map((payload) => ({ door: 'file', sender: OPERATOR_SENDER, receivedAt, ...payload }))), first);
      };
      let batch: Payload[] = [];
      let index = 0;
      try {
        for await (const payload of name.toLowerCase().endsWith('.ndjson') ? ndjsonLines(handle) : csvRecords(handle)) {
          batch.push(payload);
          if (batch.length === BATCH_LIMIT) {
            await submit(batch, index);
            index += batch.length;
            batch = [];
          }
        }
      } catch (error) {
        if (!(error as { code?: string }).code?.startsWith('CSV_')) throw error;
        // What came before the bad part is stored (and counted); the file goes to failed/ with both.
        await submit(batch, index);
        return moveToFailed(name, `the file cannot be read as csv: ${(error as Error).message}; before that: ${JSON.stringify(summary)}`);
      }
      await submit(batch, index);
    } finally {
      await handle.close();
    }
    // Only now, with every reading durable, does the file leave the landing folder. A file of the
    // same name imported earlier is kept: this one gets the time in its name.
    const kept = existsSync(join(dir, 'imported', name)) ? `${Date.now()}-${name}` : name;
    renameSync(path, join(dir, 'imported', kept));
    writeFileSync(join(dir, 'imported', `${kept}.result.json`), `${JSON.stringify(summary, null, 2)}\n`);
    logger.info({ file: name, accepted: summary.acceptedCount, duplicates: summary.duplicateCount, queued: summary.queuedCount, rejected: summary.rejectedCount }, 'landing file imported');
  };

  const enqueue = (name: string) => {
    if (stopped || NOT_OURS(name) || queued.has(name)) return;
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
