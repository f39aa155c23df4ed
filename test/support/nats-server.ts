// A real nats-server for a test file: JetStream and the MQTT listener on free loopback ports, its
// store in a folder of its own, stopped and removed at the end. `.ci/run` makes sure the binary is
// there (it is installed on this machine as /usr/sbin/nats-server).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../services/local-stack/src/free-ports';

export const NATS_SERVER = process.env.TEST_NATS_SERVER ?? 'nats-server';

/** True when the nats-server binary runs here (checked once, synchronously, as Jest collects tests). */
export const natsServerInstalled = spawnSync(NATS_SERVER, ['--version']).status === 0;

export class NatsServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    readonly mqttUrl: string,
  ) {}

  static async start(): Promise<NatsServer> {
    const [port, mqttPort] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-nats-'));
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      [
        'server_name: ecowheels-test',
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${join(dir, 'jetstream')}" }`,
        `mqtt { listen: 127.0.0.1:${mqttPort} }`,
      ].join('\n'),
    );
    const child = spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('Server is ready')) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${output}`)));
    });
    return new NatsServer(child, dir, `nats://127.0.0.1:${port}`, `mqtt://127.0.0.1:${mqttPort}`);
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
