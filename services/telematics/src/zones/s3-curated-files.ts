// The curated files in an S3-compatible bucket: the warehouse past one machine. The cleaner writes
// each file locally, uploads it (S3 answers once it is durable, and a reader sees all of an object
// or none), and keeps the local copy as cache. The batch commits in the database only after every
// upload, so a file in the bucket is either committed or removed by the cleaner's next run (its
// partitions were recorded as an intent before it was written).
//
// Readers on any replica query a local cache of the bucket: before a query, the days it covers are
// listed and what changed is downloaded (objects are immutable; a replaced one has a new ETag).
// DuckDB could read s3:// itself through its httpfs extension, but that extension is downloaded at
// run time and the images run offline; BigQuery, Snowflake, ClickHouse or Trino read the bucket in
// place (the README has the statements).
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { S3Bucket, type S3Settings } from './s3-bucket';
import { daysOf, LocalCuratedFiles, localFiles, type CuratedFiles } from './curated-files';

const PARQUET = 'application/vnd.apache.parquet';

export class S3CuratedFiles implements CuratedFiles {
  private readonly bucket: S3Bucket;
  /** The local copy: a folder of curated files like any other, filled from the bucket. */
  private readonly cache: LocalCuratedFiles;
  /** The ETag of each cached file, by its path under localDir (kept beside the cache). */
  private readonly etags: Map<string, string>;
  private readonly etagFile: string;
  /** One sync at a time; queries that arrive meanwhile share it. */
  private readonly syncing = new Map<string, Promise<void>>();

  constructor(
    settings: S3Settings,
    readonly localDir: string,
  ) {
    this.bucket = new S3Bucket(settings);
    this.cache = new LocalCuratedFiles(localDir);
    this.etagFile = join(localDir, '.etags.json');
    this.etags = new Map(existsSync(this.etagFile) ? (Object.entries(JSON.parse(readFileSync(this.etagFile, 'utf8'))) as [string, string][]) : []);
  }

  get location(): string {
    return this.bucket.settings.url;
  }

  async publish(tempFile: string, partition: string, name: string): Promise<void> {
    const path = `${partition}/${name}`;
    const etag = await this.bucket.putFile(path, tempFile, PARQUET);
    await this.cache.publish(tempFile, partition, name);
    this.etags.set(path, etag);
  }

  async remove(paths: readonly string[]): Promise<string[]> {
    // Deleting a key that is not there succeeds in S3: no need to look first.
    await this.bucket.delete(paths.map((path) => this.bucket.key(path)));
    await this.cache.remove(paths);
    for (const path of paths) this.etags.delete(path);
    return paths.map((path) => this.bucket.key(path));
  }

  async clear(): Promise<void> {
    await this.bucket.delete((await this.bucket.list('')).map(({ key }) => key));
    await this.cache.clear();
    this.etags.clear();
  }

  async prepare(from: Date, to: Date): Promise<void> {
    await Promise.all(daysOf(from, to).map((day) => this.syncDay(day)));
    writeFileSync(this.etagFile, JSON.stringify(Object.fromEntries(this.etags)));
  }

  private syncDay(day: string): Promise<void> {
    const running = this.syncing.get(day);
    if (running) return running;
    const sync = this.downloadDay(day).finally(() => this.syncing.delete(day));
    this.syncing.set(day, sync);
    return sync;
  }

  /** Brings the local copy of one day's partitions to what the bucket holds. */
  private async downloadDay(day: string): Promise<void> {
    const listed = await this.bucket.list(`dt=${day}/`);
    const wanted = new Set<string>();
    for (const object of listed) {
      const path = this.bucket.pathOf(object.key);
      wanted.add(path);
      const file = join(this.localDir, path);
      if (this.etags.get(path) === object.etag && existsSync(file) && statSync(file).size === object.size) continue;
      mkdirSync(dirname(file), { recursive: true });
      const temp = join(dirname(file), `.${path.split('/').pop()}.download`);
      await this.bucket.download(object.key, temp);
      renameSync(temp, file);
      this.etags.set(path, object.etag);
    }
    // Files the bucket no longer holds (a replay's rebuild, an uncommitted batch removed).
    const gone = localFiles(join(this.localDir, `dt=${day}`))
      .map((file) => relative(this.localDir, file))
      .filter((path) => !wanted.has(path));
    await this.cache.remove(gone);
    for (const path of gone) this.etags.delete(path);
  }

  close(): void {
    this.bucket.close();
  }
}
