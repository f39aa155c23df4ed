// Trusted documents through real gateways in front of the real services: an app's key runs only
// the operations of its live manifests, by id; ops and developer keys send any document; a
// retired version's operations are refused, also when it is retired while the gateway runs; and a
// broken manifest stops the start, naming the file. The manifests are this file's own, in a
// temporary folder.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceProcess } from '../../services/local-stack/src/launched-service';
import { MAX_MANIFEST_FILE_BYTES } from '../../supergraph/src/app-manifests';
import { eventually } from '../support/eventually';
import { errorCodes, graphql, type GraphQLResult } from '../support/graphql-client';
import { seriesValue } from '../support/metrics';
import { describeWithPostgres } from '../support/postgres';
import { PRODUCTION_GATEWAY_ENV, useSharedStack } from '../support/stack';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const operation = (name: string, body: string) => ({ id: sha256(body), name, type: body.startsWith('mutation') ? 'mutation' : 'query', body });
const manifest = (...operations: ReturnType<typeof operation>[]) => JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations });
type Status = 'live' | 'retired';
const registry = (apps: Record<string, Record<string, Status>>) =>
  JSON.stringify({
    apps: Object.fromEntries(
      Object.entries(apps).map(([app, versions]) => [app, { versions: Object.fromEntries(Object.entries(versions).map(([version, status]) => [version, { status, publishedAt: '2026-12-01T10:00:00Z' }])) }]),
    ),
  });

// rider-app 1.0.0 is retired; 2.0.0 is live and still ships HOLD. kiosk-app 1.0.0 is live until a test retires it.
const HOLD = operation('Hold', 'query Hold { tariff { holdMinutes } }');
const OLD_FEE = operation('OldFee', 'query OldFee { tariff { unlockFee { amountMinor } } }');
const PER_MINUTE = operation('PerMinute', 'query PerMinute { tariff { perMinute { amountMinor } } }');
const KIOSK = operation('Kiosk', 'query Kiosk { tariff { holdMinutes unlockFee { currency } } }');
const FREE_FORM = '{ tariff { holdMinutes } }';
const NOT_IN_LIST_MESSAGE = /^the operation [0-9a-f]{64} is in no live app manifest: publish the manifest of the app version that sends it/;

/** A folder of app manifests: the registry and each version's file. */
function writeManifests(dir: string, apps: Record<string, Record<string, Status>>, files: Record<string, string>): void {
  writeFileSync(join(dir, 'registry.json'), registry(apps));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

const byId = (id: string) => ({ omitQuery: true, extensions: { persistedQuery: { version: 1, sha256Hash: id } } });

describeWithPostgres('trusted documents at the gateway', () => {
  const running = useSharedStack();
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-app-manifests-'));
  const LIVE_APPS = { 'rider-app': { '1.0.0': 'retired', '2.0.0': 'live' }, 'kiosk-app': { '1.0.0': 'live' } } satisfies Record<string, Record<string, Status>>;
  writeManifests(dir, LIVE_APPS, {
    'rider-app/1.0.0.json': manifest(HOLD, OLD_FEE),
    'rider-app/2.0.0.json': manifest(HOLD, PER_MINUTE),
    'kiosk-app/1.0.0.json': manifest(KIOSK),
  });
  let gateway: ServiceProcess;
  let appKey: string;
  const newKey = async (name: string, scopes: string[] = []) => (await running.clients.user.createApiClient({ name, scopes })).apiKey;
  const refusals = async (labels: Record<string, string>) => seriesValue(await (await fetch(gateway.ready.metricsUrl as string)).text(), 'gateway_trusted_documents_refused_total', labels) ?? 0;

  beforeAll(async () => {
    // Production's default: no GATEWAY_TRUSTED_DOCUMENTS, so enforced.
    gateway = await running.stack.startGateway({ ...PRODUCTION_GATEWAY_ENV, GATEWAY_APP_MANIFESTS_DIR: dir, GATEWAY_APP_MANIFESTS_POLL_MS: '100' });
    appKey = await newKey('Trusted documents test app');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectNotInList = (result: GraphQLResult, message: RegExp) => {
    expect({ status: result.status, codes: errorCodes(result), message: result.errors![0].message }).toEqual({ status: 400, codes: ['PERSISTED_QUERY_NOT_IN_LIST'], message: expect.stringMatching(message) });
    // The trace id, as in every answer of the gateway, in the body and the header.
    expect(result.extensions?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.headers.get('x-trace-id')).toBe(result.extensions?.traceId);
  };

  it('runs an operation of a live manifest sent by its id alone, with an app key', async () => {
    const result = await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(PER_MINUTE.id) });
    expect({ status: result.status, errors: result.errors, data: result.data }).toEqual({ status: 200, errors: undefined, data: { tariff: { perMinute: { amountMinor: 25 } } } });
  });

  it('runs a live id over GET too, and with its body sent along', async () => {
    const search = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: KIOSK.id } }) });
    const response = await fetch(`${gateway.graphqlUrl}?${search}`, { headers: { 'x-api-key': appKey, 'apollo-require-preflight': 'true' } });
    expect([response.status, await response.json()]).toEqual([200, { data: { tariff: { holdMinutes: 30, unlockFee: { currency: 'EUR' } } }, extensions: { traceId: expect.any(String) } }]);
    const withBody = await graphql(gateway.graphqlUrl, HOLD.body, { apiKey: appKey, extensions: byId(HOLD.id).extensions });
    expect(withBody.data).toEqual({ tariff: { holdMinutes: 30 } });
  });

  it('refuses a free-form document from an app key with PERSISTED_QUERY_NOT_IN_LIST and a trace id, and counts it', async () => {
    const labels = { client_name: 'Trusted documents test app', reason: 'free_form' };
    const before = await refusals(labels);
    const result = await graphql(gateway.graphqlUrl, FREE_FORM, { apiKey: appKey });
    expectNotInList(result, /^this API key may run only the operations of its app's published manifests: send extensions\.persistedQuery\.sha256Hash/);
    // Even the very body of a manifest's operation: an app sends the id.
    expectNotInList(await graphql(gateway.graphqlUrl, HOLD.body, { apiKey: appKey }), /^this API key may run only/);
    await eventually(async () => expect(await refusals(labels)).toBe(before + 2), { what: 'the free_form refusals counted' });
  });

  it('runs the same free-form document with an ops key or a developer key, and keeps APQ for them', async () => {
    for (const scope of ['ops', 'developer']) {
      const key = await newKey(`Trusted documents test ${scope}`, [scope]);
      expect((await graphql(gateway.graphqlUrl, FREE_FORM, { apiKey: key })).data).toEqual({ tariff: { holdMinutes: 30 } });
      const query = `{ tariff { holdMinutes unlockFee { formatted } } } # ${scope}`;
      const persisted = byId(sha256(query));
      expect(errorCodes(await graphql(gateway.graphqlUrl, query, { apiKey: key, ...persisted }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect((await graphql(gateway.graphqlUrl, query, { apiKey: key, extensions: persisted.extensions })).data).toEqual({ tariff: { holdMinutes: 30, unlockFee: { formatted: '1.00 EUR' } } });
      expect((await graphql(gateway.graphqlUrl, query, { apiKey: key, ...persisted })).data).toEqual({ tariff: { holdMinutes: 30, unlockFee: { formatted: '1.00 EUR' } } });
    }
  });

  it('refuses an id that only a retired version shipped, saying which, and counts it as retired', async () => {
    const before = await refusals({ client_name: 'Trusted documents test app', reason: 'retired' });
    const result = await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(OLD_FEE.id) });
    expectNotInList(result, new RegExp(`^the operation ${OLD_FEE.id} belongs only to retired app versions \\(rider-app 1\\.0\\.0\\): update the app to a live version$`));
    await eventually(async () => expect(await refusals({ client_name: 'Trusted documents test app', reason: 'retired' })).toBe(before + 1), { what: 'the retired refusal counted' });
  });

  it('refuses an unknown id, and an app key\'s attempt to register a document as an automatic persisted query', async () => {
    const labels = { client_name: 'Trusted documents test app', reason: 'not_in_list' };
    const before = await refusals(labels);
    expectNotInList(await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(sha256('{ me { id } }')) }), NOT_IN_LIST_MESSAGE);
    const query = '{ tariff { unlockFee { currency } } }';
    expectNotInList(await graphql(gateway.graphqlUrl, query, { apiKey: appKey, extensions: byId(sha256(query)).extensions }), NOT_IN_LIST_MESSAGE);
    // Registered by a developer, it is still not the app's to run by its hash.
    const developer = await newKey('Trusted documents test registrar', ['developer']);
    expect((await graphql(gateway.graphqlUrl, query, { apiKey: developer, extensions: byId(sha256(query)).extensions })).data).toEqual({ tariff: { unlockFee: { currency: 'EUR' } } });
    expectNotInList(await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(sha256(query)) }), NOT_IN_LIST_MESSAGE);
    await eventually(async () => expect(await refusals(labels)).toBe(before + 3), { what: 'the not_in_list refusals counted' });
  });

  it('refuses a version\'s operations once the registry retires it, and keeps the last good documents while the registry is broken', async () => {
    expect((await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(KIOSK.id) })).data).toEqual({ tariff: { holdMinutes: 30, unlockFee: { currency: 'EUR' } } });
    writeFileSync(join(dir, 'registry.json'), '{ "apps": ');
    await new Promise((resolve) => setTimeout(resolve, 500)); // several polls
    expect((await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(KIOSK.id) })).status).toBe(200);
    writeManifests(dir, { ...LIVE_APPS, 'kiosk-app': { '1.0.0': 'retired' } }, {});
    await eventually(async () => expectNotInList(await graphql(gateway.graphqlUrl, '', { apiKey: appKey, ...byId(KIOSK.id) }), /belongs only to retired app versions \(kiosk-app 1\.0\.0\)/), {
      what: 'kiosk-app 1.0.0 retired',
    });
    writeManifests(dir, LIVE_APPS, {});
  });

  it('lets an app key send any document when trusted documents are off, and still resolves manifest ids', async () => {
    const off = await running.stack.startGateway({ ...PRODUCTION_GATEWAY_ENV, GATEWAY_APP_MANIFESTS_DIR: dir, GATEWAY_TRUSTED_DOCUMENTS: 'off' });
    expect((await graphql(off.graphqlUrl, FREE_FORM, { apiKey: appKey })).data).toEqual({ tariff: { holdMinutes: 30 } });
    expect((await graphql(off.graphqlUrl, '', { apiKey: appKey, ...byId(PER_MINUTE.id) })).data).toEqual({ tariff: { perMinute: { amountMinor: 25 } } });
    // Outside production, off is the default.
    expect((await graphql(running.stack.service('gateway').graphqlUrl, FREE_FORM, { apiKey: appKey })).data).toEqual({ tariff: { holdMinutes: 30 } });
  });

  describe('a manifest that cannot be trusted stops the start, naming the file', () => {
    const riderApp = { 'rider-app': { '2.0.0': 'live' } } satisfies Record<string, Record<string, Status>>;
    const cases: [string, Record<string, Record<string, Status>>, Record<string, string>, RegExp][] = [
      ['not JSON', riderApp, { 'rider-app/2.0.0.json': '{"format": "apollo-persisted-query-manifest", ' }, /rider-app\/2\.0\.0\.json is not JSON/],
      ['an id that is not its body\'s hash', riderApp, { 'rider-app/2.0.0.json': manifest({ ...HOLD, id: sha256('something else') }) }, /rider-app\/2\.0\.0\.json: operation "Hold" has id [0-9a-f]{64}, but its body's SHA-256 is/],
      ['another format', riderApp, { 'rider-app/2.0.0.json': JSON.stringify({ format: 'relay', version: 1, operations: [] }) }, /rider-app\/2\.0\.0\.json is not a valid persisted query manifest:\n {2}format: /],
      ['over the size limit', riderApp, { 'rider-app/2.0.0.json': ' '.repeat(MAX_MANIFEST_FILE_BYTES + 1) }, /rider-app\/2\.0\.0\.json is \d+ bytes, over the limit of/],
      ['a live version without its manifest', { 'rider-app': { '2.0.0': 'live', '3.0.0': 'live' } }, { 'rider-app/2.0.0.json': manifest(HOLD) }, /rider-app\/3\.0\.0\.json cannot be read: ENOENT/],
      ['a registry that names a path', { '../rider-app': { '2.0.0': 'live' } }, {}, /registry\.json is not a valid app registry:\n {2}apps\.\.\.\/rider-app: /],
    ];

    it.each(cases)('%s', async (_name, apps, files, message) => {
      const broken = mkdtempSync(join(tmpdir(), 'ecowheels-broken-manifests-'));
      try {
        writeManifests(broken, apps, files);
        const start = running.stack.startGateway({ GATEWAY_APP_MANIFESTS_DIR: broken });
        await expect(start).rejects.toThrow(new RegExp(`gateway exited with code 78 before it was ready:[\\s\\S]*gateway: app manifests \\(GATEWAY_APP_MANIFESTS_DIR=[^)]*\\): [^\\n]*${message.source}`));
      } finally {
        rmSync(broken, { recursive: true, force: true });
      }
    });
  });
});
