// The rider app's reference client (supergraph/clients/rider-app/) is built by `npm run client:codegen` and
// its output committed: the typed operations and the persisted query manifest must be what the
// build makes now from its operations and the served schema, and the version the client calls
// itself must be published live with exactly that manifest, or the gateway would not know its ids.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleClientFiles } from '../../supergraph/clients/rider-app/build';
import { MANIFEST_FILE, OPERATIONS_DIR } from '../../supergraph/clients/rider-app/paths';
import { RIDER_APP } from '../../supergraph/clients/rider-app/src/version';
import { manifestFile, readRegistry, sha256Hex, APP_MANIFESTS_DIR, type PersistedQueryManifest } from '../../supergraph/src/app-manifests';

describe('the rider app client', () => {
  it('is committed as `npm run client:codegen` builds it now', async () => {
    expect(await staleClientFiles()).toEqual([]);
  }, 60_000);

  it('is reported stale when an operation changes and the build is not run', async () => {
    const changed = mkdtempSync(join(tmpdir(), 'ecowheels-rider-operations-'));
    try {
      cpSync(OPERATIONS_DIR, changed, { recursive: true });
      const file = join(changed, 'my-impact.graphql'); // the impact screen stops showing the energy
      writeFileSync(file, readFileSync(file, 'utf8').replace('      energyWh\n', ''));
      expect((await staleClientFiles(changed)).sort()).toEqual(['supergraph/clients/rider-app/persisted-query-manifest.json', 'supergraph/clients/rider-app/src/generated/gql.ts', 'supergraph/clients/rider-app/src/generated/graphql.ts']);
    } finally {
      rmSync(changed, { recursive: true, force: true });
    }
  }, 60_000);

  it('has manifest ids that are the SHA-256 of their bodies', () => {
    const manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as PersistedQueryManifest;
    expect(manifest.operations.length).toBeGreaterThanOrEqual(14);
    for (const { id, body } of manifest.operations) expect(id).toBe(sha256Hex(body));
  });

  it('is published live under its own version with exactly its manifest (bump the version and publish when the operations change)', () => {
    expect(readRegistry().apps[RIDER_APP.name]?.versions[RIDER_APP.version]?.status).toBe('live');
    expect(readFileSync(manifestFile(APP_MANIFESTS_DIR, RIDER_APP.name, RIDER_APP.version), 'utf8')).toBe(readFileSync(MANIFEST_FILE, 'utf8'));
  });
});
