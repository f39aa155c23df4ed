// The raw zone in a local folder. Each process appends to its own file per partition hour (so
// replicas never interleave writes), and every write() ends with fdatasync: when it resolves, the
// lines are on disk, not only in the page cache.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { byPartition, hourOfPartition, type ZoneLine, type ZoneName, type ZoneStore } from './zone-store';

export class FileZoneStore implements ZoneStore {
  private readonly files = new Map<string, FileHandle>();

  constructor(
    private readonly root: string,
    /** Names this process's files: distinct per process, so appends never interleave. */
    private readonly writerId: string,
  ) {}

  get location(): string {
    return this.root;
  }

  async write(lines: readonly ZoneLine[]): Promise<void> {
    // One after another: a write that crosses an hour closes the earlier hour's file.
    for (const [partition, group] of byPartition(lines)) {
      const file = await this.fileFor(partition);
      await file.appendFile(`${group.join('\n')}\n`);
      await file.datasync();
    }
  }

  private async fileFor(partition: string): Promise<FileHandle> {
    const existing = this.files.get(partition);
    if (existing) return existing;
    // A new hour: the zone's earlier hours will not be written again by this process.
    for (const [old, handle] of this.files) {
      if (old.split('/')[0] === partition.split('/')[0] && old < partition) {
        this.files.delete(old);
        await handle.close();
      }
    }
    const dir = join(this.root, partition);
    mkdirSync(dir, { recursive: true });
    const handle = await open(join(dir, `${this.writerId}.ndjson`), 'a');
    this.files.set(partition, handle);
    return handle;
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

  async close(): Promise<void> {
    const handles = [...this.files.values()];
    this.files.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
