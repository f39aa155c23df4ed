// The SLOs' SLIs, measured over a bench load by the queries docs/slos.md gives them: a real
// Prometheus (Debian's `prometheus`) scrapes every process of the stack over the mesh's mutual TLS
// (jobs named as in production), and each SLO's `bad` and `total` expressions of
// mesh-config/alerts.ts are evaluated over the load's window. So the figures are what the alerts
// would have seen, not a second reckoning of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sliOver, SLOS } from '../../../mesh-config/alerts';
import { freePorts } from '../../../services/local-stack/src/free-ports';
import type { LocalStack } from '../../../services/local-stack/src/local-stack';

const SCRAPE_SECONDS = 2;

export interface SliFigure {
  slo: string;
  /** The label values the SLO keeps apart (for example the operation type), if any. */
  series: string;
  objective: number;
  /** Good events over all events, over the window; undefined when there were none. */
  value?: number;
  events: number;
}

export class SliProbe {
  /** The window's start: set once every process has been scraped. */
  private startedAt = Date.now();

  private constructor(
    private readonly prometheus: ChildProcess,
    private readonly url: string,
    private readonly dir: string,
  ) {}

  /** Starts Prometheus scraping every process of `stack` as the mesh's operator, and waits for its first scrape of each. */
  static async start(stack: LocalStack, certsDir: string): Promise<SliProbe> {
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-bench-slis-'));
    const [port] = await freePorts(1);
    const tls = { ca_file: join(certsDir, 'ca.pem'), cert_file: join(certsDir, 'operator.pem'), key_file: join(certsDir, 'operator-key.pem'), server_name: 'localhost' };
    const targets = Object.entries(stack.services).map(([name, process]) => {
      const url = new URL(name === 'gateway' ? String(process.ready.metricsUrl) : process.graphqlUrl.replace(/\/graphql$/, '/metrics'));
      return { job_name: name, scheme: url.protocol.slice(0, -1), metrics_path: url.pathname, ...(url.protocol === 'https:' ? { tls_config: tls } : {}), static_configs: [{ targets: [url.host] }] };
    });
    writeFileSync(join(dir, 'prometheus.yml'), stringify({ global: { scrape_interval: `${SCRAPE_SECONDS}s`, scrape_timeout: '1s' }, scrape_configs: targets }));
    const logs: string[] = [];
    const prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [prometheus.stdout!, prometheus.stderr!]) stream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    const probe = new SliProbe(prometheus, `http://127.0.0.1:${port}`, dir);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await probe.query('sum(up)').catch(() => []);
      if (Number(up[0]?.value[1]) === targets.length) break;
      if (Date.now() > deadline) {
        probe.stop();
        throw new Error(`Prometheus did not scrape all ${targets.length} processes: ${logs.join('').slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    probe.startedAt = Date.now();
    return probe;
  }

  private async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  /**
   * Every SLO over the window since the probe started (after two more scrapes, so the last of the
   * load is in): 1 − bad/total, per the series the SLO keeps apart, with the number of events.
   * Counters that first appear inside the window lose their first scrape's value to rate(), as in
   * production: the caller warms every path up before starting the probe.
   */
  async measure(): Promise<SliFigure[]> {
    await new Promise((resolve) => setTimeout(resolve, 2 * SCRAPE_SECONDS * 1000 + 500));
    const seconds = Math.ceil((Date.now() - this.startedAt) / 1000);
    const window = `${seconds}s`;
    const figures: SliFigure[] = [];
    for (const slo of SLOS) {
      const sli = sliOver(slo, window);
      const total = await this.query(sli.total);
      const bad = await this.query(sli.bad);
      const key = (metric: Record<string, string>) => slo.by.map((label) => metric[label] ?? '').join(', ');
      if (total.length === 0) figures.push({ slo: slo.name, series: '', objective: slo.objective, events: 0 });
      for (const series of total) {
        const rate = Number(series.value[1]);
        const badRate = Number(bad.find((candidate) => key(candidate.metric) === key(series.metric))?.value[1] ?? 0);
        figures.push({ slo: slo.name, series: key(series.metric), objective: slo.objective, value: rate > 0 ? 1 - badRate / rate : undefined, events: Math.round(rate * seconds) });
      }
    }
    // Acknowledged readings stored and decided: no budget (docs/slos.md). The stack started fresh for
    // this run, so its counters' values are the run's (as increase() over a day is in production).
    const sum = async (expr: string) => Number((await this.query(`sum(${expr})`))[0]?.value[1] ?? 0);
    const accepted = await sum('telematics_readings_accepted_total');
    const decided = (await sum('telematics_readings_curated_total{filled="false"}')) + (await sum('telematics_readings_dropped_total'));
    figures.push({ slo: 'readings_stored', series: '', objective: 1, value: accepted > 0 ? Math.min(decided, accepted) / accepted : undefined, events: Math.round(accepted) });
    return figures;
  }

  stop(): void {
    this.prometheus.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The SLI table: each SLO's measured value beside its objective. */
export function sliMarkdown(figures: readonly SliFigure[]): string {
  const percent = (value: number) => `${(value * 100).toFixed(value === 1 ? 1 : 3)}%`;
  return [
    '| SLO | series | measured | events | objective | met |',
    '|---|---|---|---|---|---|',
    ...figures.map(
      (figure) =>
        `| ${figure.slo} | ${figure.series || 'all'} | ${figure.value === undefined ? 'no events' : percent(figure.value)} | ${figure.events.toLocaleString('en-GB')} | ${percent(figure.objective)} | ${figure.value === undefined ? '' : figure.value >= figure.objective ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
}
