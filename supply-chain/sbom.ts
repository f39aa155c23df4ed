// `npm run sbom` (and every image's build, `npm run build -- --workloads`): a CycloneDX SBOM of the runtime dependencies, the
// packages an image ships (dev dependencies left out), made by npm itself from the lockfile alone
// (`npm sbom --package-lock-only`: what the lockfile pins, whatever state node_modules is in),
// written to dist/sbom.cdx.json beside the compiled code.
//
// Not with `npm sbom --omit=dev`: npm (11.x) then also drops a production dependency that a dev
// dependency names too (npm/cli#7909, open), which here left out 8 of the direct dependencies
// (graphql, pino, ioredis, dataloader, @bufbuild/protobuf and three @nats-io packages) and about 200
// packages beneath them: 298 components for an image that holds 504. And without the flag npm
// refuses to write one (ESBOMPROBLEMS), on a dev dependency's unmet peer range. So npm is given
// the production tree alone: package.json without its devDependencies, and the lockfile without
// the packages npm itself marked as needed only for development (`"dev": true`, the flag that
// `npm prune --omit=dev` in the Dockerfile goes by), in a folder of its own. (`npm audit --omit=dev`
// is not affected: it asks each package whether it is omitted, as prune does.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface Lockfile {
  packages: Record<string, { dev?: boolean; devDependencies?: Record<string, string> }>;
}

/** package.json and package-lock.json as they would be with the dev dependencies never installed. */
export function productionManifests(root = ROOT): { manifest: Record<string, unknown>; lockfile: Lockfile } {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lockfile = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  delete manifest.devDependencies;
  delete lockfile.packages[''].devDependencies;
  for (const [path, entry] of Object.entries(lockfile.packages)) if (entry.dev) delete lockfile.packages[path];
  return { manifest, lockfile };
}

export function runtimeSbom(): { bomFormat: string; specVersion: string; components: { name: string; version: string; purl?: string }[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-sbom-'));
  try {
    const { manifest, lockfile } = productionManifests();
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lockfile));
    const args = ['sbom', '--package-lock-only', '--sbom-format=cyclonedx', '--sbom-type=application'];
    // Under `npm run`, npm_execpath is the npm that runs us; else the one on the PATH.
    const npm = process.env.npm_execpath;
    const [command, commandArgs] = npm ? [process.execPath, [npm, ...args]] : ['npm', args];
    const run = spawnSync(command, commandArgs, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`npm sbom failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as ReturnType<typeof runtimeSbom>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
