// The raw zone in a local folder. Each process appends to its own file per partition hour (so
// replicas never interleave writes), and every write() ends with fdatasync: when it resolves, the
// lines are on disk, not only in the page cache. Writes to one file take turns, so two flushes in
// flight never interleave their lines.
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { byPartition, hourOfPartition, partitionOf, type ZoneLine, type ZoneName, type ZoneStore } from './zone-store';

export class FileZoneStore implements ZoneStore {
  /** Open files by partition; each entry's `turn` is the last write queued on it. */
  private readonly files = new Map<string, { handle: Promise<FileHandle>; turn: Promise<void> }>();

  constructor(
    private readonly root: string,
    /** Names this process's files: distinct per process, so appends never interleave. */
    private readonly writerId: string,
  ) {}

  get location(): string {
    return this.root;
  }

  async write(lines: readonly ZoneLine[]): Promise<void> {
    await Promise.all(
      [...byPartition(lines)].map(([partition, group]) => {
        const file = this.fileFor(partition);
        const write = file.turn.then(async () => {
          const handle = await file.handle;
          await handle.appendFile(`${group.join('\n')}\n`);
          await handle.datasync();
        });
        file.turn = write.catch(() => undefined); // a failed write must not block the next one
        return write;
      }),
    );
  }

  private fileFor(partition: string): { handle: Promise<FileHandle>; turn: Promise<void> } {
    const existing = this.files.get(partition);
    if (existing) return existing;
    // A new hour: the zone's earlier hours will not be written again by this process; their files
    // are closed once their last write is done.
    for (const [old, file] of this.files) {
      if (old.split('/')[0] === partition.split('/')[0] && old < partition) {
        this.files.delete(old);
        void file.turn.then(() => file.handle).then((handle) => handle.close()).catch(() => undefined);
      }
    }
    const dir = join(this.root, partition);
    mkdirSync(dir, { recursive: true });
    const file = { handle: open(join(dir, `${this.writerId}.ndjson`), 'a'), turn: Promise.resolve() };
    this.files.set(partition, file);
    // An open that failed (EMFILE, ENOSPC) fails the writes waiting for it, and is forgotten: the
    // next write opens the file again rather than failing for the rest of the hour.
    file.handle.catch(() => {
      if (this.files.get(partition) === file) this.files.delete(partition);
    });
    return file;
  }

  async list(zone: ZoneName, from: Date, to: Date): Promise<string[]> {
    const keys: string[] = [];
    const zoneDir = join(this.root, zone);
    for (const day of safeReaddir(zoneDir).sort()) {
      for (const hour of safeReaddir(join(zoneDir, day)).sort()) {
        const at = hourOfPartition(`${day}/${hour}`);
        if (!at || at < from || at >= to) continue;
        for (const file of safeReaddir(join(zoneDir, day, hour)).sort()) {
          if (file.endsWith('.ndjson')) keys.push(`${zone}/${day}/${hour}/${file}`);
        }
      }
    }
    return keys;
  }

  async read(key: string): Promise<string[]> {
    const text = await readFile(join(this.root, key), 'utf8');
    // A crash may cut the last line of a file short: it was never acknowledged, so it is skipped.
    const lines = text.split('\n');
    lines.pop();
    return lines.filter((line) => line.length > 0);
  }

  async clear(zone: 'rejects', from: Date, to: Date): Promise<number> {
    const keys = await this.list(zone, from, to);
    for (const key of keys) rmSync(join(this.root, key), { force: true });
    return keys.length;
  }

  async removeLines(zone: 'rejects', hour: Date, drop: (line: string) => boolean): Promise<number> {
    // This process's own file of the hour is about to be replaced: appends must go to the new one.
    await this.forget(partitionOf(zone, hour));
    let removed = 0;
    for (const key of await this.list(zone, hour, new Date(hour.getTime() + 3_600_000))) {
      const lines = await this.read(key);
      const kept = lines.filter((line) => !drop(line));
      if (kept.length === lines.length) continue;
      removed += lines.length - kept.length;
      const file = join(this.root, key);
      if (kept.length === 0) {
        rmSync(file, { force: true });
        continue;
      }
      // Written whole under a hidden name, synced, then renamed over the old file: a crash leaves
      // the old file or the new one, never half of either.
      const temp = join(dirname(file), `.${basename(file)}.rewrite`);
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(`${kept.join('\n')}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      renameSync(temp, file);
    }
    return removed;
  }

  /** Closes this process's file of a partition, if open, once its queued writes are done. */
  private async forget(partition: string): Promise<void> {
    const file = this.files.get(partition);
    if (!file) return;
    this.files.delete(partition);
    await file.turn;
    await file.handle.then((handle) => handle.close()).catch(() => undefined); // an open that failed has nothing to close
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map(async (file) => {
      await file.turn;
      await (await file.handle).close();
    }));
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
