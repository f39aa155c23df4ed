// Where the curated Parquet files live: a local folder (a laptop, one machine), or a prefix of an
// S3-compatible bucket, the warehouse past one machine. Either way the layout is the same:
// dt=YYYY-MM-DD/hour=HH/batch-<id>.parquet (Hive partitioning, which BigQuery, Snowflake,
// ClickHouse, Trino and DuckDB all read), and either way DuckDB queries a local folder: the
// bucket's is a cache of the partitions a query needs (see s3-curated-files.ts).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface CuratedFiles {
  /** For logs: "/data/telematics-lake/curated" or "s3://bucket/prefix". */
  readonly location: string;
  /** The local folder DuckDB reads, laid out as above. */
  readonly localDir: string;
  /** Makes a finished local file (`tempFile`, inside localDir) the partition's file `name`, all or nothing. */
  publish(tempFile: string, partition: string, name: string): Promise<void>;
  /** Removes these files ("dt=…/hour=…/batch-….parquet"), where they exist; answers what it removed. */
  remove(paths: readonly string[]): Promise<string[]>;
  /** Removes every curated file (a full replay rebuilds them). */
  clear(): Promise<void>;
  /** Makes sure localDir holds every file of the days in [from, to) before a query reads them. */
  prepare(from: Date, to: Date): Promise<void>;
  close(): void;
}

export class LocalCuratedFiles implements CuratedFiles {
  constructor(readonly localDir: string) {
    mkdirSync(localDir, { recursive: true });
  }

  get location(): string {
    return this.localDir;
  }

  async publish(tempFile: string, partition: string, name: string): Promise<void> {
    mkdirSync(join(this.localDir, partition), { recursive: true });
    renameSync(tempFile, join(this.localDir, partition, name)); // a reader never sees half a file
  }

  async remove(paths: readonly string[]): Promise<string[]> {
    const removed = paths.map((path) => join(this.localDir, path)).filter((file) => existsSync(file));
    for (const file of removed) rmSync(file, { force: true });
    return removed;
  }

  async clear(): Promise<void> {
    rmSync(this.localDir, { recursive: true, force: true });
    mkdirSync(this.localDir, { recursive: true });
  }

  async prepare(): Promise<void> {}

  close(): void {}
}

/** The Parquet files under a folder (not the hidden ones being written). */
export function localFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.parquet') && !entry.name.startsWith('.')) found.push(path);
    }
  };
  walk(root);
  return found;
}

/** The days (UTC) that [from, to) touches, as "YYYY-MM-DD". */
export function daysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); day < to.getTime(); day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}
