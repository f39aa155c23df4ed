// `npm run build`: the services, the gateway and the launcher as plain JavaScript under dist/, so
// `npm start` and the images run compiled code instead of compiling TypeScript as they load (tsx
// costs each process about half a second of CPU at start and tens of MB while it runs). Each file
// is transpiled on its own (esbuild, no bundling: instrumentations must still see the packages load
// through require), in the same tree, beside copies of the files code finds next to itself
// (schemas, migrations, generated JSON, the protos and the supergraph). Type checking stays `tsc`'s
// job in `npm test`. `--workloads` (the images) leaves out this launcher and its simulated fleet.
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { writeSbom } from '../../../supply-chain/sbom';

const ROOT = join(__dirname, '..', '..', '..');
export const DIST = join(ROOT, 'dist');
const SOURCES = ['services', 'supergraph'];
/** Only `npm start` needs these: the launcher, the demo data and the simulated fleet. */
const LAUNCHER = join(ROOT, 'services', 'local-stack');

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    // The reference app client (supergraph/clients/) is for app teams, not for any workload.
    if (name === 'node_modules' || path === join(ROOT, 'supergraph', 'clients')) return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Builds into dist.next/, then puts it in dist/'s place with two renames: a stack running from dist/
 * (`npm start` in another terminal) never finds it half deleted or half written; the build before
 * stays as dist.previous/ until the next one, for a process still loading from it.
 */
export async function buildDist(options: { workloadsOnly?: boolean } = {}): Promise<void> {
  const next = `${DIST}.next`;
  const previous = `${DIST}.previous`;
  rmSync(next, { recursive: true, force: true });
  await buildInto(next, options);
  // An image's build (`--workloads`) ships what it holds as a CycloneDX SBOM (supply-chain/sbom.ts);
  // `npm start`, which builds at every start, is spared the second it costs.
  if (options.workloadsOnly) writeSbom(next);
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(DIST)) renameSync(DIST, previous);
  renameSync(next, DIST);
}

/** Compiles every workload (and, unless `workloadsOnly`, the launcher) into `out`, which must lie inside the repository (node_modules is found from there). */
export async function buildInto(out: string, options: { workloadsOnly?: boolean } = {}): Promise<void> {
  const files = SOURCES.flatMap((source) => filesUnder(join(ROOT, source))).filter((file) => !options.workloadsOnly || !file.startsWith(LAUNCHER));
  await build({
    entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
    outdir: out,
    outbase: ROOT,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    // Stack traces name the TypeScript lines; Node reads the maps only when a trace is printed
    // with --enable-source-maps, so they cost nothing otherwise.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const file of files.filter((path) => !path.endsWith('.ts'))) cpSync(file, join(out, relative(ROOT, file)));
  cpSync(join(ROOT, 'proto'), join(out, 'proto'), { recursive: true });
}

if (require.main === module) {
  const started = performance.now();
  buildDist({ workloadsOnly: process.argv.includes('--workloads') }).then(
    () => console.log(`built dist/ in ${Math.round(performance.now() - started)} ms`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
