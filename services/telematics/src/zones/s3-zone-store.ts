// The raw zone in an S3-compatible object store (AWS S3, MinIO, Ceph, R2...). Objects cannot be
// appended to, so each write() becomes one object; S3 answers a PUT only once the object is
// stored durably, which is the acknowledgement we wait for.
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { byPartition, hourOfPartition, type ZoneLine, type ZoneName, type ZoneStore } from './zone-store';

export interface S3ZoneSettings {
  /** s3://bucket/prefix */
  url: string;
  /** For an S3-compatible server that is not AWS (path-style addressing is then used). */
  endpoint?: string;
  region: string;
  /** Names this process's objects. */
  writerId: string;
}

export class S3ZoneStore implements ZoneStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private objectCount = 0;

  constructor(private readonly settings: S3ZoneSettings) {
    const url = new URL(settings.url);
    this.bucket = url.hostname;
    this.prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    // Credentials come from the standard AWS chain (env vars, web identity, instance role).
    this.client = new S3Client({ region: settings.region, endpoint: settings.endpoint, forcePathStyle: Boolean(settings.endpoint) });
  }

  get location(): string {
    return this.settings.url;
  }

  private key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  async write(lines: readonly ZoneLine[]): Promise<void> {
    const groups = byPartition(lines);
    await Promise.all(
      [...groups.entries()].map(([partition, group]) => {
        // Time first, so a listing is in the order the objects were written.
        const name = `${Date.now().toString().padStart(15, '0')}-${this.settings.writerId}-${(this.objectCount += 1)}.ndjson`;
        return this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.key(`${partition}/${name}`), Body: `${group.join('\n')}\n`, ContentType: 'application/x-ndjson' }),
        );
      }),
    );
  }

  async list(zone: ZoneName, from: Date, to: Date): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(`${zone}/`), ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const at = object.Key ? hourOfPartition(object.Key) : undefined;
        if (object.Key && at && at >= from && at < to) keys.push(object.Key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async read(key: string): Promise<string[]> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    return text.split('\n').filter((line) => line.length > 0);
  }

  async clear(zone: 'rejects', from: Date, to: Date): Promise<number> {
    const keys = await this.list(zone, from, to);
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })) } }));
    }
    return keys.length;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
