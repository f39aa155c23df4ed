// A prefix of an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...), named by s3://bucket/prefix:
// what the raw zone and the curated warehouse both need of it. Credentials come from the standard
// AWS chain (env vars, web identity, instance role).
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  /** s3://bucket/prefix */
  url: string;
  /** For an S3-compatible server that is not AWS (path-style addressing is then used). */
  endpoint?: string;
  region: string;
}

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
}

export class S3Bucket {
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(readonly settings: S3Settings) {
    const url = new URL(settings.url);
    if (url.protocol !== 's3:' || !url.hostname) throw new Error(`"${settings.url}" is not an s3://bucket/prefix URL`);
    this.bucket = url.hostname;
    this.prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    this.client = new S3Client({ region: settings.region, endpoint: settings.endpoint, forcePathStyle: Boolean(settings.endpoint) });
  }

  /** The key of a path under the prefix. */
  key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  /** The path under the prefix of one of its keys. */
  pathOf(key: string): string {
    return this.prefix ? key.slice(this.prefix.length + 1) : key;
  }

  /** Every object whose path starts with `pathPrefix`, in key order. */
  async list(pathPrefix: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(pathPrefix), ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key) found.push({ key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Stores an object; S3 answers only once it is durable, and a reader sees all of it or none. Answers its ETag. */
  async put(path: string, body: string | Buffer, contentType: string): Promise<string> {
    const stored = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(path), Body: body, ContentType: contentType }));
    return stored.ETag ?? '';
  }

  async putFile(path: string, file: string, contentType: string): Promise<string> {
    return this.put(path, await readFile(file), contentType);
  }

  async readText(key: string): Promise<string> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }

  async download(key: string, file: string): Promise<void> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    await pipeline(object.Body as Readable, createWriteStream(file));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })) } }));
    }
  }

  close(): void {
    this.client.destroy();
  }
}
