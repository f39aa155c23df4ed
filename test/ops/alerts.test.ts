// The alerts (mesh-config/alerts.ts, written by `npm run mesh`) on Prometheus' own tool: the rules
// file parses and every rule is valid (`promtool check rules`), and every alert fires on the series
// its unit test gives and stays quiet on another (`promtool test rules`). .ci/run installs
// prometheus (which has promtool) when it is missing; without it this fails, it never skips.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SLOS, SYMPTOMS } from '../../mesh-config/alerts';

const RULES = join(__dirname, '..', '..', 'mesh-config', 'prometheus');
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: RULES, encoding: 'utf8' });

describe('alerting rules', () => {
  beforeAll(() => {
    const version = promtool('--version');
    if (version.error || version.status !== 0) throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
  });

  it('pass promtool check rules', () => {
    const run = promtool('check', 'rules', 'rules.yaml');
    expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('pass their promtool unit tests: every alert fires on one series and stays quiet on another', () => {
    const run = promtool('test', 'rules', 'rules.test.yaml');
    expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('give every alert a runbook of three first looks, and a burn-rate pair to every SLO', () => {
    for (const alert of SYMPTOMS) expect(alert.runbook.look).toHaveLength(3);
    expect(SLOS.map((slo) => slo.name)).toEqual(['api_availability', 'api_latency', 'ride_start_success', 'telematics_freshness', 'gbfs_freshness']);
  });
});
