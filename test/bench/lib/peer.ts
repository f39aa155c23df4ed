// Starts a reference peer of the benchmark (bare servers, another gateway, the monolith) as a
// process of its own, as our services are, and waits for the one JSON line it prints when ready.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

export interface Peer<Ready> {
  ready: Ready;
  pid: number;
  stop(): Promise<void>;
}

export async function startPeer<Ready>(file: string, args: string[], env: Record<string, string>): Promise<Peer<Ready>> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Ready>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((candidate) => candidate.startsWith('{'));
      if (!line) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // keep draining, so a chatty peer never blocks on a full pipe
      resolve(JSON.parse(line) as Ready);
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${file} exited before it was ready`)));
  });
  return {
    ready,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process, in MB. */
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Proportional memory of a process and all its children, in MB (shared pages counted once in all). */
export function treePssMb(pid: number): number {
  try {
    return ownAndChildrenPss(pid);
  } catch {
    return 0; // it ended while being read
  }
}

function ownAndChildrenPss(pid: number): number {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  const own = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  return own + children.reduce((sum, child) => sum + treePssMb(child), 0);
}

const statFields = (pid: number): string[] => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');

/** CPU time a process has used so far, in seconds (user plus system). */
export const cpuSeconds = (pid: number): number => {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks, 100 a second
};

/**
 * CPU time of a process and everything under it, in seconds: its own, its live descendants', and
 * that of the children that ended and were reaped (PostgreSQL's sessions come and go). The
 * difference of two readings is what the whole tree spent between them.
 */
export function treeCpuSeconds(pid: number): number {
  try {
    const fields = statFields(pid);
    const own = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
    return own / 100 + children.reduce((sum, child) => sum + treeCpuSeconds(child), 0);
  } catch {
    return 0; // it ended while being read (its parent's reaped total has it now)
  }
}

/** The main process of the PostgreSQL server behind a connection URL (the parent of its session). */
export async function postgresServerPid(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${rows[0].pid}/status`, 'utf8'))?.[1]);
  } finally {
    await client.end();
  }
}
