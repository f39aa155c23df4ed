// An S3-compatible server for the tests (s3rver, in this process, on a free loopback port, its
// objects in a temporary folder), with the buckets a suite names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** The environment a process needs to use it: s3rver accepts any credentials; the SDK wants some. */
export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export class S3Server {
  private constructor(
    private readonly server: S3rver,
    private readonly dir: string,
    readonly endpoint: string,
  ) {}

  /** Starts it, and sets this process's AWS credentials to ones it accepts. */
  static async start(buckets: string[]): Promise<S3Server> {
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
    const { port } = (await server.run()) as { port: number };
    Object.assign(process.env, S3_CREDENTIALS);
    return new S3Server(server, dir, `http://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
