// The delivery pipeline's workflow files validate against GitHub Actions' schema
// (@action-validator/cli), and the pipeline keeps the jobs docs/delivery.md describes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
});
