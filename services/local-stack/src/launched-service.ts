// Starts one service as a child process and waits until it says it is ready (the "ready" log line
// with its gRPC address). Used by `npm start` and by the tests, which run real processes. Each child
// keeps an IPC channel open to its launcher, only so that it notices when the launcher is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOP_GRACE_MS } from '../../platform/src/run-service';
import { SERVICE_NAMES, type ServiceName } from '../../platform/src/service-names';

export { SERVICE_NAMES, type ServiceName };
/** The five services and the GraphQL gateway in front of them. */
export type ProcessName = ServiceName | 'gateway';

/** The variables that set the ports each process listens on (0: any free port, named in its "ready" line). */
export const PORT_VARIABLES: Record<ProcessName, readonly string[]> = {
  ...(Object.fromEntries(SERVICE_NAMES.map((name) => [name, [`${name.toUpperCase()}_GRPC_PORT`, `${name.toUpperCase()}_HTTP_PORT`]])) as Record<ServiceName, string[]>),
  telematics: ['TELEMATICS_GRPC_PORT', 'TELEMATICS_HTTP_PORT', 'TELEMATICS_MQTT_PORT', 'TELEMATICS_DEVICE_HTTP_PORT'],
  gateway: ['GATEWAY_PORT', 'GATEWAY_METRICS_PORT'],
};

/**
 * How a process runs: `compiled`, the JavaScript that `npm run build` writes under dist/ (what
 * `npm start` runs); `source`, the TypeScript through tsx (development, Tilt); or `{ image }`, as a
 * workload's image runs it: `node dist/<main>.js` in a folder holding what the image's last stage
 * holds (its /app: package.json, the pruned node_modules and dist/), for the test of what an image
 * holds (test/mesh/image.test.ts).
 */
export type Runtime = 'compiled' | 'source' | { image: string };

const COMPILED = __filename.endsWith('.js'); // this very file runs from dist/
const REPOSITORY = join(__dirname, '..', '..', '..', ...(COMPILED ? ['..'] : []));
/**
 * Where compiled processes run from: dist/, or the build the tests make once per run
 * (ECOWHEELS_COMPILED_DIR, set by test/support/global-setup.ts), which `npm start` building
 * dist/ meanwhile never touches.
 */
const COMPILED_DIR = process.env.ECOWHEELS_COMPILED_DIR;
/** A launcher runs its processes the way it runs itself (the tests: compiled), unless told otherwise. */
export const OWN_RUNTIME: Runtime = COMPILED || COMPILED_DIR ? 'compiled' : 'source';

/**
 * V8's young generation capped at 8 MB a semi-space. Node 24's default grows it to tens of MB, and
 * each idle process then holds 15 to 25 MB more than on Node 20 (the gateway's modules alone: 151
 * MB against 136 MB with the cap). Six processes on a laptop feel that; a container sets its own
 * (mesh-config/resources.ts).
 */
const V8_FLAGS = ['--max-semi-space-size=8'];

/**
 * Node's compile cache: V8's compiled code of every module, kept on disk after a process first
 * loads it, so the next start of any of the six reads it instead of compiling again (a warm start of
 * the stack in about 2.7 s instead of 3.3; each idle process a few MB bigger). The environment may
 * name another folder (NODE_COMPILE_CACHE) or turn it off (NODE_DISABLE_COMPILE_CACHE=1). Images
 * start each process once per container, so they leave it off.
 */
const COMPILE_CACHE = join(tmpdir(), 'ecowheels-compile-cache');

/**
 * More V8 flags for every process this launcher starts, from LAUNCH_V8_FLAGS (space-separated):
 * NODE_OPTIONS refuses V8's own flags, such as `--single-threaded`. The tests set it (Jest's global
 * setup, test/support/global-setup.ts); `npm start` and the bench leave it unset (docs/performance.md
 * says why), and the images do not run this launcher.
 */
export const launchV8Flags = (env: Record<string, string | undefined>): string[] => (env.LAUNCH_V8_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Node's arguments that run a process: its compiled main, its TypeScript through tsx, or an image's main (relative to the image's folder). */
export function commandOf(name: ProcessName, runtime: Runtime = OWN_RUNTIME): string[] {
  const main = name === 'gateway' ? ['supergraph', 'src', 'main'] : ['services', name, 'src', 'main'];
  if (typeof runtime === 'object') return [...V8_FLAGS, `${join('dist', ...main)}.js`];
  return [...V8_FLAGS, ...(runtime === 'compiled' ? [`${join(COMPILED_DIR ?? join(REPOSITORY, 'dist'), ...main)}.js`] : ['--import', 'tsx', `${join(REPOSITORY, ...main)}.ts`])];
}
const READY_TIMEOUT_MS = 60_000;

/** How many of a process's last output lines the launcher keeps. */
const OUTPUT_LINES = 200;

export class ServiceProcess {
  private constructor(
    readonly name: ProcessName,
    private readonly child: ChildProcess,
    /** gRPC address; empty for the gateway. */
    readonly address: string,
    /** The GraphQL endpoint: the service's subgraph, or the gateway's public API. */
    readonly graphqlUrl: string,
    private readonly exited: Promise<number | null>,
    /** Every line the process wrote, stdout and stderr, for diagnosing a failed test. */
    readonly output: string[],
    /** Everything the "ready" line said (telematics adds its device doors' addresses). */
    readonly ready: Record<string, unknown>,
  ) {}

  static start(
    name: ProcessName,
    env: Record<string, string>,
    options: { echo?: (line: string) => void; runtime?: Runtime } = {},
  ): Promise<ServiceProcess> {
    const childEnv = { NODE_COMPILE_CACHE: COMPILE_CACHE, ...process.env, ...env };
    const runtime = options.runtime ?? OWN_RUNTIME;
    const child = spawn(process.execPath, [...launchV8Flags(childEnv), ...commandOf(name, runtime)], {
      cwd: typeof runtime === 'object' ? runtime.image : undefined,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.channel?.unref(); // the channel alone must not keep the launcher running
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not become ready in ${READY_TIMEOUT_MS} ms:\n${output.slice(-20).join('\n')}`));
      }, READY_TIMEOUT_MS);
      let ready: ServiceProcess | undefined;
      const onLine = (line: string) => {
        // The last lines only, for a crash report: a service that logs for days must not fill the launcher.
        output.push(line);
        if (output.length > OUTPUT_LINES) output.splice(0, output.length - OUTPUT_LINES);
        options.echo?.(line);
        if (ready || !line.includes('"msg":"ready"')) return;
        const announced = JSON.parse(line) as { grpcAddress?: string; graphqlUrl: string };
        clearTimeout(timer);
        ready = new ServiceProcess(name, child, announced.grpcAddress ?? '', announced.graphqlUrl, exited, output, announced);
        resolve(ready);
      };
      const collect = (stream: NodeJS.ReadableStream) => {
        let buffered = '';
        stream.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) onLine(line);
        });
      };
      collect(child.stdout!);
      collect(child.stderr!);
      void exited.then((code) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready:\n${output.slice(-20).join('\n')}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a signal (SIGKILL to simulate a crash, SIGSTOP to freeze, SIGCONT to resume). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Stops reading the process's stdout and closes our end, as a reader that went away would. */
  closeOutput(): void {
    this.child.stdout?.destroy();
  }

  /** How the process ended: its exit code, or the signal that killed it; undefined while it runs. */
  get ending(): string | undefined {
    if (this.child.signalCode) return `killed by ${this.child.signalCode}`;
    return this.child.exitCode === null ? undefined : `exit code ${this.child.exitCode}`;
  }

  /** True once stop() was called: an exit after it was asked for. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  private stopping?: Promise<number | null>;

  /**
   * Stops the process gracefully, or kills it when it overruns its grace (5 s, and a second for
   * the operating system). Resolves with its exit code; calling it again waits for the same stop.
   */
  stop(graceMs = STOP_GRACE_MS + 1000): Promise<number | null> {
    this.stopping ??= (async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
      this.child.kill('SIGCONT'); // a frozen process cannot handle SIGTERM
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    })();
    return this.stopping;
  }

  /** Resolves when the process has exited, however it ended. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}
