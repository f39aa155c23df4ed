// A real nats-server for a test file, as production runs it: operator mode (decentralised JWT auth,
// full resolver) with the accounts and users that `npm run nats:accounts` makes (the same code,
// run into the server's folder), JetStream and the MQTT listener on free loopback ports, its store
// in a folder of its own, stopped and removed at the end. `.ci/run` makes sure the binary is there
// (it is installed on this machine as /usr/sbin/nats-server).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { encodeUser, fmtCreds } from '@nats-io/jwt';
import { createUser, fromSeed } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/nats-core';
import { freePorts } from '../../services/local-stack/src/free-ports';
import { publicKeyOf } from '../../services/telematics/src/bus/nats-accounts';
import { connectBus } from '../../services/telematics/src/doors/telematics-bus';
import { writeNatsAccounts, type NatsAccountFiles } from '../../services/telematics/src/tools/nats-accounts';

export const NATS_SERVER = process.env.TEST_NATS_SERVER ?? 'nats-server';

/** True when the nats-server binary runs here (checked once, synchronously, as Jest collects tests). */
export const natsServerInstalled = spawnSync(NATS_SERVER, ['--version']).status === 0;

/**
 * For a suite's body: true when nats-server is here. Without it the suite gets one failing test
 * that says why (.ci/run installs it), rather than passing silently.
 */
export function natsServerOrFailingTest(): boolean {
  if (!natsServerInstalled) {
    it('needs nats-server', () => {
      throw new Error('nats-server is not installed (apt-get install nats-server, or set TEST_NATS_SERVER)');
    });
  }
  return natsServerInstalled;
}

/** The roles of the telematics image on the bus, and the NATS user each connects as. */
const ROLE_USERS = { processor: 'telematics-processor', edge: 'telematics-edge', api: 'telematics-api', all: 'telematics-all' } as const;

export class NatsServer {
  private child: ChildProcess;

  private constructor(
    child: ChildProcess,
    private readonly dir: string,
    private readonly config: string,
    readonly url: string,
    readonly mqttUrl: string,
    /** The operator, accounts and users' credentials, as the command wrote them. */
    readonly accounts: NatsAccountFiles,
  ) {
    this.child = child;
  }

  /** The server's process (the benchmark reads its CPU time). */
  get pid(): number {
    return this.child.pid!;
  }

  static async start(): Promise<NatsServer> {
    const [port, mqttPort] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-nats-'));
    const accounts = await writeNatsAccounts(join(dir, 'accounts'), join(dir, 'jwt'));
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      [
        'server_name: ecowheels-test',
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${join(dir, 'jetstream')}" }`,
        `mqtt { listen: 127.0.0.1:${mqttPort} }`,
        // include paths are relative to this file
        `include "${relative(dir, accounts.resolverConfig)}"`,
      ].join('\n'),
    );
    const child = await NatsServer.run(config);
    return new NatsServer(child, dir, config, `nats://127.0.0.1:${port}`, `mqtt://127.0.0.1:${mqttPort}`, accounts);
  }

  private static async run(config: string): Promise<ChildProcess> {
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
    return child;
  }

  /** The telematics service's settings for a role on this bus: its URL, its NATS user, and the registry's keys. */
  env(role: keyof typeof ROLE_USERS = 'all'): Record<string, string> {
    return {
      TELEMATICS_BUS: this.url,
      TELEMATICS_BUS_CREDS_FILE: this.accounts.creds(ROLE_USERS[role]),
      ...(role === 'all' || role === 'api' ? { TELEMATICS_DEVICE_ISSUER_FILE: this.accounts.deviceIssuer, TELEMATICS_DEVICE_MQTT_URL: this.mqttUrl } : {}),
    };
  }

  /** A connection as one of the deployment's users (what the command wrote for it). */
  connectAs(user: 'telematics-processor' | 'telematics-edge' | 'telematics-api' | 'operator'): Promise<NatsConnection> {
    return connectBus(this.url, `test-${user}`, this.accounts.creds(user));
  }

  /** A connection with every right in the application account, for a test's or benchmark's own streams. */
  async connectAsAdmin(): Promise<NatsConnection> {
    const { keys } = this.accounts;
    const user = createUser();
    const jwt = await encodeUser('test-admin', user, publicKeyOf(keys.application), {}, { signer: fromSeed(new TextEncoder().encode(keys.applicationSigning)) });
    const creds = join(this.dir, 'admin.creds');
    writeFileSync(creds, fmtCreds(jwt, user));
    return connectBus(this.url, 'test-admin', creds);
  }

  /** Stops the server and starts it again on the same ports, store and resolver folder. */
  async restart(): Promise<void> {
    await this.kill();
    this.child = await NatsServer.run(this.config);
  }

  private async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
