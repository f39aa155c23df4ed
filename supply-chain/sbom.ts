// `npm run sbom` (and every image's build, `npm run build -- --workloads`): a CycloneDX SBOM of the runtime dependencies, the
// packages an image ships (dev dependencies left out), made by npm itself from the lockfile alone
// (`npm sbom --package-lock-only`: what the lockfile pins, whatever state node_modules is in),
// written to dist/sbom.cdx.json beside the compiled code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export function runtimeSbom(): { bomFormat: string; specVersion: string; components: { name: string; version: string; purl?: string }[] } {
  const args = ['sbom', '--omit=dev', '--package-lock-only', '--sbom-format=cyclonedx', '--sbom-type=application'];
  // Under `npm run`, npm_execpath is the npm that runs us; else the one on the PATH.
  const npm = process.env.npm_execpath;
  const [command, commandArgs] = npm ? [process.execPath, [npm, ...args]] : ['npm', args];
  const run = spawnSync(command, commandArgs, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`npm sbom failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ReturnType<typeof runtimeSbom>;
}

export function writeSbom(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'sbom.cdx.json');
  writeFileSync(path, `${JSON.stringify(runtimeSbom(), null, 2)}\n`);
  return path;
}

if (require.main === module) {
  console.log(`wrote ${writeSbom(join(ROOT, 'dist'))}`);
}
