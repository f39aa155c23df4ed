// The Redis server the shared rate-limit tests use (127.0.0.1:6379, as on the CI machines), and a
// redis-server of a test's own for outages.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../services/local-stack/src/free-ports';
import { describeNeeding } from './required-server';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const describeWithRedis = (name: string, body: () => void) =>
  describeNeeding(
    {
      name: 'Redis',
      url: REDIS_URL,
      variable: 'TEST_REDIS_URL',
      probe: `const R=require('ioredis');const r=new R(${JSON.stringify(REDIS_URL)},{lazyConnect:true,maxRetriesPerRequest:0,connectTimeout:3000});r.connect().then(()=>r.ping()).then(()=>{r.disconnect();process.exit(0)},()=>process.exit(1))`,
    },
    name,
    body,
  );

/**
 * A redis-server of the test's own, on a free loopback port with its data in a folder of its own,
 * that the test may stop and start again (an outage) without touching the machine's Redis. It saves
 * its data when stopped, so what was counted before an outage is still there after it.
 */
export class OwnRedisServer {
  private child?: ChildProcess;

  private constructor(
    private readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedisServer> {
    const [port] = await freePorts(1);
    const server = new OwnRedisServer(port, mkdtempSync(join(tmpdir(), 'ecowheels-redis-')));
    await server.resume();
    return server;
  }

  /** Starts the server (again) on the same port and data. */
  async resume(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '3600 1', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('Ready to accept connections')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    });
  }

  /** Stops the server (an outage); its data is saved for `resume`. */
  async pause(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
