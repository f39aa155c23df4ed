// The supply chain's gates: the SBOM lists what an image ships (runtime dependencies, not the test
// tools); the audit policy fails on an unaccepted high or critical advisory and on an expired
// acceptance, and the repository's allowlist passes it today; and `npm ci` refuses a lockfile whose
// integrity does not match the package (a real npm, on a package from its cache).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judge, readAllowlist, type AuditReport } from '../../supply-chain/audit';
import { productionManifests, runtimeSbom } from '../../supply-chain/sbom';
import { LOADED_BY_NODE } from '../../services/local-stack/src/build';

const ROOT = join(__dirname, '..', '..');
/** A lockfile path's package: node_modules/a/node_modules/@b/c is @b/c. */
const packageAt = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

const vulnerable = (name: string, severity: 'moderate' | 'high' | 'critical', advisory: string): AuditReport => ({
  vulnerabilities: { [name]: { name, severity, via: [{ url: `https://github.com/advisories/${advisory}`, title: 'a flaw', severity }] } },
});
const TODAY = new Date('2026-12-03T12:00:00Z');

describe('supply chain', () => {
  it('makes a CycloneDX SBOM of the runtime dependencies only: every package an image holds, and no other', () => {
    const sbom = runtimeSbom();
    expect({ format: sbom.bomFormat, version: sbom.specVersion }).toEqual({ format: 'CycloneDX', version: expect.stringMatching(/^1\.\d$/) });
    const names = new Set(sbom.components.map((component) => component.name));
    // Every direct runtime dependency; `npm sbom --omit=dev` left out those a dev dependency names too (graphql, pino...).
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).filter((name) => !names.has(name))).toEqual([]);
    for (const tool of ['jest', 'eslint', 'esbuild', 'typescript', 'tsx']) expect(names).not.toContain(tool);
    // Exactly what `npm prune --omit=dev` keeps in the image: every package of the lockfile that npm did not mark dev-only.
    const lockfile = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string; version: string; dev?: boolean }> };
    const kept = Object.entries(lockfile.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev)
      .map(([path, entry]) => `${entry.name ?? packageAt(path)}@${entry.version}`);
    expect(new Set(sbom.components.map((component) => `${component.name}@${component.version}`))).toEqual(new Set(kept));
    expect(sbom.components.every((component) => component.purl?.startsWith('pkg:npm/'))).toBe(true);
  });

  it("holds every package the bundles leave to Node's require, so the image's pruned node_modules has it", () => {
    const { lockfile } = productionManifests();
    const runtime = Object.keys(lockfile.packages).map(packageAt);
    const missing = LOADED_BY_NODE.filter((name) => !runtime.some((packageName) => (name.endsWith('/*') ? packageName.startsWith(name.slice(0, -1)) : packageName === name)));
    expect(missing).toEqual([]);
  });

  it('gives npm the production tree alone: no dev dependency in package.json, none in the lockfile', () => {
    const { manifest, lockfile } = productionManifests();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.dependencies).toEqual((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: unknown }).dependencies);
    expect(lockfile.packages[''].devDependencies).toBeUndefined();
    expect(Object.values(lockfile.packages).filter((entry) => entry.dev)).toEqual([]);
    expect(lockfile.packages['node_modules/graphql']).toBeDefined();
    expect(lockfile.packages['node_modules/jest']).toBeUndefined();
  });

  it('fails the audit on an unaccepted high or critical advisory and on an expired acceptance, never on a moderate one', () => {
    const entry = { advisory: 'GHSA-2222-3333-4444', package: 'left-pad', reason: 'only reached by the CLI, never with input from a client', expires: '2026-12-31' };
    expect(judge(vulnerable('left-pad', 'high', 'GHSA-2222-3333-4444'), [], TODAY).failures).toEqual(['high left-pad: GHSA-2222-3333-4444']);
    expect(judge(vulnerable('left-pad', 'critical', 'GHSA-2222-3333-4444'), [entry], TODAY).failures).toEqual([]);
    expect(judge(vulnerable('left-pad', 'critical', 'GHSA-2222-3333-4444'), [entry], new Date('2027-01-01T00:00:00Z')).failures).toEqual([
      'allowlist entry GHSA-2222-3333-4444 (left-pad) expired on 2026-12-31: fix it, or renew it with a reason',
      'critical left-pad: GHSA-2222-3333-4444',
    ]);
    expect(judge(vulnerable('left-pad', 'high', 'GHSA-5555-6666-7777'), [entry], TODAY).failures).toEqual(['high left-pad: GHSA-5555-6666-7777']);
    expect(judge(vulnerable('left-pad', 'moderate', 'GHSA-5555-6666-7777'), [], TODAY)).toEqual({ failures: [], notes: ['moderate left-pad: GHSA-5555-6666-7777'] });
  });

  it("keeps the repository's allowlist valid and unexpired", () => {
    expect(judge({}, readAllowlist(), new Date()).failures).toEqual([]);
  });

  it('npm ci refuses a lockfile whose integrity does not match the package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-integrity-'));
    try {
      const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ms', 'package.json'), 'utf8')) as { version: string }).version;
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'integrity-check', version: '1.0.0', private: true, dependencies: { ms: version } }));
      const npm = (...args: string[]) => spawnSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(npm('install', '--package-lock-only').status).toBe(0);
      const lock = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      expect(npm('ci').status).toBe(0); // the true lockfile installs
      const integrity = /"integrity": "(sha512-[^"]+)"/.exec(lock)![1];
      const forged = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
      writeFileSync(join(dir, 'package-lock.json'), lock.replace(integrity, forged));
      rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
      const refused = npm('ci');
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/EINTEGRITY|integrity/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
