// The delivery pipeline's workflow files validate against GitHub Actions' schema
// (@action-validator/cli), and the pipeline keeps the jobs docs/delivery.md describes. The script
// that waits for a canary and rolls it back runs here against a stand-in kubectl that plays a
// Rollout's status through its phases.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'));

describe('delivery workflows', () => {
  it.each(files)('%s validates against the GitHub Actions schema', (name) => {
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'action-validator'), [join(WORKFLOWS, name)], { encoding: 'utf8' });
    expect({ status: run.status, errors: run.stdout + run.stderr }).toEqual({ status: 0, errors: '' });
  });

  it('tests as .ci/run does, gates contracts and vulnerabilities, builds images with SBOM and provenance, and goes through staging to production', () => {
    const workflow = parse(readFileSync(join(WORKFLOWS, 'delivery.yml'), 'utf8')) as { jobs: Record<string, { needs?: string[]; steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] }> };
    const { jobs } = workflow;
    expect(Object.keys(jobs)).toEqual(['test', 'contracts', 'audit', 'images', 'staging', 'production']);
    expect(jobs.test.steps.some((step) => step.run?.includes('.ci/run'))).toBe(true);
    expect(jobs.audit.steps.some((step) => step.run === 'npm run audit')).toBe(true);
    const build = jobs.images.steps.find((step) => step.uses?.startsWith('docker/build-push-action'))!;
    expect(build.with).toMatchObject({ sbom: true, provenance: 'mode=max', file: 'mesh-config/docker/Dockerfile' });
    expect(jobs.images.needs).toEqual(['test', 'contracts', 'audit']);
    expect(jobs.production.needs).toEqual(['images', 'staging']);
    // Every action is pinned to a commit, not a movable tag.
    for (const job of Object.values(jobs)) for (const step of job.steps) if (step.uses) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
  });

  describe('await-canary.sh', () => {
    const SCRIPT = join(ROOT, '.github', 'scripts', 'await-canary.sh');
    /**
     * Runs the script with a kubectl that answers the Rollout's status from `states` (a state per
     * poll, the last repeated), records every call; eight polls, with no wait between them.
     */
    function run(states: { currentPodHash: string; stableRS: string; phase: string; abort?: boolean }[]) {
      const dir = mkdtempSync(join(tmpdir(), 'ecowheels-await-canary-'));
      try {
        writeFileSync(join(dir, 'states.json'), JSON.stringify(states));
        writeFileSync(
          join(dir, 'kubectl'),
          `#!/usr/bin/env node
const fs = require('node:fs');
const dir = ${JSON.stringify(dir)};
fs.appendFileSync(dir + '/calls', process.argv.slice(2).join(' ') + '\\n');
const args = process.argv.slice(2);
if (args[2] === 'set') process.exit(0);
const polls = Number(fs.existsSync(dir + '/polls') ? fs.readFileSync(dir + '/polls', 'utf8') : 0);
const states = JSON.parse(fs.readFileSync(dir + '/states.json', 'utf8'));
const state = states[Math.min(Math.floor(polls / 4), states.length - 1)];
fs.writeFileSync(dir + '/polls', String(polls + 1));
const field = args.find((arg) => arg.startsWith('jsonpath=')).slice('jsonpath={.status.'.length, -1);
process.stdout.write(String(state[field] ?? ''));
`,
        );
        chmodSync(join(dir, 'kubectl'), 0o755);
        const result = spawnSync('bash', [SCRIPT, 'ride', 'old', 'registry/ride:previous'], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, AWAIT_CANARY_POLLS: '8', AWAIT_CANARY_INTERVAL: '0' },
        });
        const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
        return { status: result.status, output: result.stdout + result.stderr, calls };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const waiting = { currentPodHash: 'old', stableRS: 'old', phase: 'Healthy' };
    const canary = { currentPodHash: 'new', stableRS: 'old', phase: 'Paused' };

    it('waits for the new template, then succeeds once the canary is promoted and healthy', () => {
      const { status, output, calls } = run([waiting, canary, canary, { currentPodHash: 'new', stableRS: 'new', phase: 'Progressing' }, { currentPodHash: 'new', stableRS: 'new', phase: 'Healthy' }]);
      expect({ status, output: output.trim() }).toEqual({ status: 0, output: 'ride: promoted' });
      expect(calls.filter((call) => call.includes('set image'))).toEqual([]);
    });

    it('puts the previous image back and fails when the analysis aborts the canary', () => {
      const { status, output, calls } = run([waiting, canary, { currentPodHash: 'new', stableRS: 'old', phase: 'Degraded', abort: true }]);
      expect(status).toBe(1);
      expect(output).toMatch(/failed its analysis/);
      expect(calls.filter((call) => call.includes('set image'))).toEqual(['-n ecowheels set image deployment/ride ride=registry/ride:previous']);
    });

    it('gives up on a canary that neither finishes nor aborts in its time', () => {
      const { status, output } = run([canary]);
      expect(status).toBe(2);
      expect(output).toMatch(/neither finished nor aborted/);
    });
  });
});
