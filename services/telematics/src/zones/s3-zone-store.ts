// The raw zone in an S3-compatible object store (AWS S3, MinIO, Ceph, R2...). Objects cannot be
// appended to, so each write() becomes one object; S3 answers a PUT only once the object is
// stored durably, which is the acknowledgement we wait for.
import { S3Bucket, type S3Settings } from './s3-bucket';
import { byPartition, hourOfPartition, partitionOf, type ZoneLine, type ZoneName, type ZoneStore } from './zone-store';

export interface S3ZoneSettings extends S3Settings {
  /** Names this process's objects. */
  writerId: string;
}

export class S3ZoneStore implements ZoneStore {
  private readonly bucket: S3Bucket;
  private objectCount = 0;

  constructor(private readonly settings: S3ZoneSettings) {
    this.bucket = new S3Bucket(settings);
  }

  get location(): string {
    return this.settings.url;
  }

  async write(lines: readonly ZoneLine[]): Promise<void> {
    const groups = byPartition(lines);
    await Promise.all(
      [...groups.entries()].map(([partition, group]) => {
        // Time first, so a listing is in the order the objects were written.
        const name = `${Date.now().toString().padStart(15, '0')}-${this.settings.writerId}-${(this.objectCount += 1)}.ndjson`;
        return this.bucket.put(`${partition}/${name}`, `${group.join('\n')}\n`, 'application/x-ndjson');
      }),
    );
  }

  async list(zone: ZoneName, from: Date, to: Date): Promise<string[]> {
    const keys: string[] = [];
    for (const { key } of await this.bucket.list(`${zone}/`)) {
      const at = hourOfPartition(key);
      if (at && at >= from && at < to) keys.push(key);
    }
    return keys;
  }

  async read(key: string): Promise<string[]> {
    return (await this.bucket.readText(key)).split('\n').filter((line) => line.length > 0);
  }

  async clear(zone: 'rejects', from: Date, to: Date): Promise<number> {
    const keys = await this.list(zone, from, to);
    await this.bucket.delete(keys);
    return keys.length;
  }

  async removeLines(zone: 'rejects', hour: Date, drop: (line: string) => boolean): Promise<number> {
    let removed = 0;
    for (const { key } of await this.bucket.list(`${partitionOf(zone, hour)}/`)) {
      const lines = await this.read(key);
      const kept = lines.filter((line) => !drop(line));
      if (kept.length === lines.length) continue;
      removed += lines.length - kept.length;
      // An object is replaced whole (a PUT over the same key): a reader sees the old one or the new one.
      if (kept.length === 0) await this.bucket.delete([key]);
      else await this.bucket.put(this.bucket.pathOf(key), `${kept.join('\n')}\n`, 'application/x-ndjson');
    }
    return removed;
  }

  async close(): Promise<void> {
    this.bucket.close();
  }
}
