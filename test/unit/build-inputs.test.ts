// `npm run build` (npm start's first step) keeps dist/ when nothing it is built from has changed:
// what counts as an input (buildInputsDigest, on a small tree of the test's own), what counts as a
// whole build (isBuildOf), and a real build into a folder of the test's own, kept by the next call.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildDist, buildInputsDigest, INPUTS_FILE, isBuildOf, PROCESS_MAINS } from '../../services/local-stack/src/build';

const MAINS = PROCESS_MAINS.map((main) => `${main}.js`);

function write(root: string, file: string, content: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

describe('the inputs of a build', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ecowheels-build-inputs-'));
    write(root, 'services/ride/src/main.ts', 'export const ride = 1;\n');
    write(root, 'services/local-stack/src/start.ts', 'export const start = 1;\n');
    write(root, 'supergraph/src/main.ts', 'export const gateway = 1;\n');
    write(root, 'supergraph/clients/rider-app/app.ts', 'export const app = 1;\n');
    write(root, 'proto/ride.proto', 'syntax = "proto3";\n');
    write(root, 'package.json', '{}\n');
    write(root, 'package-lock.json', '{}\n');
    write(root, 'tsconfig.json', '{}\n');
    write(root, 'node_modules/.package-lock.json', '{"packages":{}}\n');
    write(root, 'supply-chain/sbom.ts', 'export const sbom = 1;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('are the same for the same files, and differ when a source, a proto, a setting or the installed packages change', () => {
    const before = buildInputsDigest({}, root);
    expect(buildInputsDigest({}, root)).toBe(before);
    for (const [file, content] of [
      ['services/ride/src/main.ts', 'export const ride = 2;\n'],
      ['proto/ride.proto', 'syntax = "proto3"; // edited\n'],
      ['tsconfig.json', '{"compilerOptions":{}}\n'],
      ['package-lock.json', '{"lockfileVersion":3}\n'],
      ['node_modules/.package-lock.json', '{"packages":{"x":{}}}\n'],
    ] as const) {
      const original = buildInputsDigest({}, root);
      write(root, file, content);
      expect([file, buildInputsDigest({}, root)]).not.toEqual([file, original]);
    }
  });

  it('count a new file, and a file moved to another name', () => {
    const before = buildInputsDigest({}, root);
    write(root, 'services/ride/src/new.ts', 'export const added = 1;\n');
    const withNew = buildInputsDigest({}, root);
    expect(withNew).not.toBe(before);
    rmSync(join(root, 'services/ride/src/new.ts'));
    write(root, 'services/ride/src/renamed.ts', 'export const added = 1;\n');
    expect(buildInputsDigest({}, root)).not.toBe(withNew);
  });

  it("leave out the app client, and the launcher in an image's build, whose SBOM tool counts instead", () => {
    const full = buildInputsDigest({}, root);
    const images = buildInputsDigest({ workloadsOnly: true }, root);
    expect(images).not.toBe(full);
    write(root, 'supergraph/clients/rider-app/app.ts', 'export const app = 2;\n');
    expect(buildInputsDigest({}, root)).toBe(full);
    write(root, 'services/local-stack/src/start.ts', 'export const start = 2;\n');
    const launcherChanged = buildInputsDigest({}, root);
    expect(launcherChanged).not.toBe(full);
    expect(buildInputsDigest({ workloadsOnly: true }, root)).toBe(images);
    write(root, 'supply-chain/sbom.ts', 'export const sbom = 2;\n');
    expect(buildInputsDigest({ workloadsOnly: true }, root)).not.toBe(images);
    expect(buildInputsDigest({}, root)).toBe(launcherChanged);
  });
});

describe('a whole build', () => {
  let dist: string;

  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'ecowheels-build-of-'));
    for (const main of MAINS) write(dist, main, '');
    writeFileSync(join(dist, INPUTS_FILE), 'abc');
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  it('has the digest of the inputs and all six mains', () => {
    expect(isBuildOf(dist, 'abc')).toBe(true);
    expect(isBuildOf(dist, 'abd')).toBe(false);
    rmSync(join(dist, MAINS[3]));
    expect(isBuildOf(dist, 'abc')).toBe(false);
  });

  it('has its digest written (a build stopped half-way has none)', () => {
    rmSync(join(dist, INPUTS_FILE));
    expect(isBuildOf(dist, 'abc')).toBe(false);
  });
});

describe('buildDist', () => {
  const dist = join(mkdtempSync(join(tmpdir(), 'ecowheels-build-')), 'dist');
  afterAll(() => rmSync(dirname(dist), { recursive: true, force: true }));

  it('builds, and keeps that build while nothing it is built from changes', async () => {
    expect(await buildDist({}, dist)).toBe('built');
    expect(isBuildOf(dist, buildInputsDigest())).toBe(true);
    const built = statSync(join(dist, MAINS[0])).mtimeMs;
    expect(await buildDist({}, dist)).toBe('unchanged');
    expect(statSync(join(dist, MAINS[0])).mtimeMs).toBe(built);
    // An image's build is another build.
    expect(isBuildOf(dist, buildInputsDigest({ workloadsOnly: true }))).toBe(false);
  });

  // Apollo's createHash takes Node's crypto only where `module.require` exists, which a bundle's
  // modules lack; it then falls back to sha.js, a SHA-256 in JavaScript, for every query.
  it("hashes Apollo's queries with Node's crypto: no JavaScript SHA-256 in any bundle", () => {
    for (const main of MAINS) {
      const bundled = readFileSync(join(dist, main), 'utf8');
      expect({ main, shaJs: bundled.includes('node_modules/sha.js/') }).toEqual({ main, shaJs: false });
    }
    expect(readFileSync(join(dist, 'supergraph/src/main.js'), 'utf8')).toContain('apollo-hash-with-node-crypto:@apollo/utils.createhash');
  });
});
