// The suite's one table: each row is our figure beside its reference, measured in the same run,
// with the ratio between them and the target. Printed, and written as JSON and Markdown
// under bench/results/ (latest.* is the newest run; each run also keeps a dated copy).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load';
import { sliMarkdown, type SliFigure } from './slis';

export interface Figure {
  value: number;
  unit: 'req/s' | 'flows/s' | 'calls/s' | 'readings/s' | 's' | 'MB' | 'B/req' | 'µs CPU/req';
  p50Ms?: number;
  p99Ms?: number;
  errors?: number;
}

export interface Row {
  part: string;
  what: string;
  ours: Figure;
  reference: { name: string; figure: Figure };
  /** The row's target, and whether this run met it. */
  target?: { text: string; met: boolean };
}

export const rate = (load: LoadResult, unit: Figure['unit']): Figure => ({ value: load.rate, unit, p50Ms: load.p50Ms, p99Ms: load.p99Ms, errors: load.errors });

const ratioOf = (row: Row) => row.ours.value / row.reference.figure.value;

function formatFigure(figure: Figure): string {
  const digits = figure.unit === 's' ? 1 : 0;
  const value = figure.value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const latency = figure.p99Ms === undefined ? '' : `, p50 ${figure.p50Ms!.toFixed(0)} ms, p99 ${figure.p99Ms.toFixed(0)} ms`;
  const errors = figure.errors ? `, ${figure.errors} ERRORS` : '';
  return `${value} ${figure.unit}${latency}${errors}`;
}

export class Report {
  readonly rows: Row[] = [];
  /** The SLOs' SLIs over the run's production-like load (slis.ts), if it ran. */
  private slis: SliFigure[] = [];

  constructor(private readonly settings: Record<string, unknown>) {}

  add(row: Row): void {
    this.rows.push(row);
    const target = row.target ? `  target ${row.target.text}: ${row.target.met ? 'met' : 'MISSED'}` : '';
    console.log(`  ${row.part} ${row.what}: ${formatFigure(row.ours)} | ${row.reference.name}: ${formatFigure(row.reference.figure)} | ratio ${ratioOf(row).toFixed(2)}${target}`);
  }

  addSlis(figures: SliFigure[]): void {
    this.slis = figures;
    console.log(sliMarkdown(figures));
  }

  markdown(): string {
    const lines = [
      '| part | what | ours | reference | ratio | target |',
      '|---|---|---|---|---|---|',
      ...this.rows.map((row) =>
        [
          row.part,
          row.what,
          formatFigure(row.ours),
          `${row.reference.name}: ${formatFigure(row.reference.figure)}`,
          ratioOf(row).toFixed(2),
          row.target ? `${row.target.text}: ${row.target.met ? 'met' : '**missed**'}` : '',
        ].join(' | '),
      ).map((line) => `| ${line} |`),
    ];
    const slis = this.slis.length ? `\n\nThe SLOs' SLIs over the production-like load (docs/slos.md's queries, on a real Prometheus):\n\n${sliMarkdown(this.slis)}` : '';
    return lines.join('\n') + slis;
  }

  /** Writes latest.json and latest.md, and a dated copy of each; answers the Markdown path. */
  write(directory: string): string {
    mkdirSync(directory, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const json = JSON.stringify({ ranAt: new Date().toISOString(), settings: this.settings, rows: this.rows.map((row) => ({ ...row, ratio: ratioOf(row) })), slis: this.slis }, null, 2);
    const markdown = `# Benchmark run of ${new Date().toISOString()}\n\nSettings: ${JSON.stringify(this.settings)}\n\n${this.markdown()}\n`;
    for (const name of ['latest', stamp]) {
      writeFileSync(join(directory, `${name}.json`), json);
      writeFileSync(join(directory, `${name}.md`), markdown);
    }
    return join(directory, 'latest.md');
  }
}
