// The schema's promise to shipped apps (docs/api.md, "For app teams"): every operation of every
// live app version in supergraph/app-manifests/ stays valid against the API schema the subgraphs
// compose to (`npm run graphql:check`, run here as part of `npm test`); a deliberate breaking
// change may remove only what no live version uses; only well-formed manifests whose ids are the
// SHA-256 of their bodies are published; and `graphql:usage` tells who uses what. Each gate is
// also shown failing on a bad change.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type GraphQLSchema } from 'graphql';
import { liveVersions, manifestFile, publishedVersions, readRegistry, sha256Hex, type PersistedQueryManifest } from '../../supergraph/src/app-manifests';
import { manifestProblems, operationDocument, publishVersion, retireVersion } from '../../supergraph/src/app-publishing';
import { apiSchemaOf, readSubgraphSchemas } from '../../supergraph/src/composition';
import { graphqlCheck } from '../../supergraph/src/manifest-checks';
import { coordinatesUsed, deprecatedUsage, usageReport } from '../../supergraph/src/schema-usage';
import { SUPERGRAPH_FILE } from '../../supergraph/src/subgraphs';

const servedSchema: GraphQLSchema = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
const riderApp = JSON.parse(readFileSync(manifestFile(join(__dirname, '../../supergraph/app-manifests'), 'rider-app', '1.0.0'), 'utf8')) as PersistedQueryManifest;

/** A manifest of named operations, each with its id made as the client build makes it. */
const manifestOf = (operations: Record<string, string>): PersistedQueryManifest => ({
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: Object.entries(operations).map(([name, body]) => ({ id: sha256Hex(body), name, type: operationDocument(body).operation!.operation as 'query', body })),
});

/** An older app that read a station's capacity, which rider-app 1.0.0 never does. */
const OLD_APP = manifestOf({ StationCapacity: 'query StationCapacity($id: ID!) {\n  bike(id: $id) {\n    station {\n      capacity\n    }\n  }\n}' });

/** The inventory subgraph without Station.capacity, or without Bike.batteryPercent. */
const withoutCapacity = () => {
  const schemas = readSubgraphSchemas();
  schemas.inventory = schemas.inventory.replace(/\s*"How many bikes fit."\n\s*capacity: Int!/, '');
  return schemas;
};
const withoutBattery = () => {
  const schemas = readSubgraphSchemas();
  schemas.inventory = schemas.inventory.replace(/\s*"State of charge, 0 to 100 percent."\n\s*batteryPercent: Int!/, '');
  return schemas;
};

describe('app manifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecowheels-app-manifests-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A registry with rider-app 1.0.0 as published, and the old app in the state given. */
  const registryWithOldApp = (oldStatus: 'live' | 'retired') => {
    publishVersion({ app: 'rider-app', version: '1.0.0', manifestText: JSON.stringify(riderApp), schema: servedSchema, dir });
    publishVersion({ app: 'rider-app', version: '0.9.0', manifestText: JSON.stringify(OLD_APP), schema: servedSchema, dir });
    if (oldStatus === 'retired') retireVersion({ app: 'rider-app', version: '0.9.0', dir });
    return publishedVersions(dir);
  };

  describe('npm run graphql:check', () => {
    it('passes: the proposed API schema serves every operation of every live app version', () => {
      expect(liveVersions().map(({ app, version }) => `${app} ${version}`)).toContain('rider-app 1.0.0');
      expect(graphqlCheck()).toEqual([]);
    });

    it('fails on a schema change that removes a field a live version uses, naming the version, the operation and why', () => {
      const problems = graphqlCheck({ subgraphs: withoutBattery() });
      expect(problems).toContain('rider-app 1.0.0, operation FindBikes: Cannot query field "batteryPercent" on type "Bike".');
      expect(problems).toContain('rider-app 1.0.0, operation StartRide: Cannot query field "batteryPercent" on type "Bike".');
    });

    it('passes when the removed field was used only by a retired version, and fails while that version is live', () => {
      expect(graphqlCheck({ subgraphs: withoutCapacity(), versions: registryWithOldApp('retired').filter(({ status }) => status === 'live') })).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'ecowheels-app-manifests-'));
      const live = registryWithOldApp('live').filter(({ status }) => status === 'live');
      expect(graphqlCheck({ subgraphs: withoutCapacity(), versions: live })).toEqual(['rider-app 0.9.0, operation StationCapacity: Cannot query field "capacity" on type "Station".']);
    });

    it('accepts a deliberate breaking change only when no live version uses what it removes', () => {
      const removal = { description: 'Station.capacity was removed.', why: 'a test: stations no longer report their size' };
      const live = registryWithOldApp('live').filter(({ status }) => status === 'live');
      const refused = graphqlCheck({ versions: live, deliberate: [removal] });
      expect(refused).toEqual([
        'deliberate-breaking-changes.json: "Station.capacity was removed." is not accepted while live app versions use Station.capacity: rider-app 0.9.0 (StationCapacity). Retire those versions first (npm run app:retire)',
      ]);
      retireVersion({ app: 'rider-app', version: '0.9.0', dir });
      expect(graphqlCheck({ versions: liveVersions(dir), deliberate: [removal] })).toEqual([]);
    });

    it('accepts the deliberate breaking changes recorded now (none removes what a live version uses)', () => {
      // The recorded one makes Bike.location nullable: it removes nothing a document names.
      expect(graphqlCheck({ versions: liveVersions() })).toEqual([]);
    });
  });

  describe('publishing', () => {
    it('has published ids that are the SHA-256 of their bodies, for every version', () => {
      for (const { manifest } of publishedVersions()) {
        for (const { id, body } of manifest.operations) expect(id).toBe(sha256Hex(body));
      }
    });

    it('copies a manifest unchanged to <app>/<version>.json and records the version live; retiring keeps the file', () => {
      const text = JSON.stringify(OLD_APP);
      const now = new Date('2026-12-01T10:00:00Z');
      expect(publishVersion({ app: 'rider-app', version: '0.9.0', manifestText: text, schema: servedSchema, dir, now })).toBe('published rider-app 0.9.0 (1 operations), live');
      expect(readFileSync(join(dir, 'rider-app', '0.9.0.json'), 'utf8')).toBe(text);
      expect(readRegistry(dir)).toEqual({ apps: { 'rider-app': { versions: { '0.9.0': { status: 'live', publishedAt: '2026-12-01T10:00:00.000Z' } } } } });
      expect(retireVersion({ app: 'rider-app', version: '0.9.0', dir })).toBe('retired rider-app 0.9.0');
      expect(readRegistry(dir).apps['rider-app'].versions['0.9.0']).toEqual({ status: 'retired', publishedAt: '2026-12-01T10:00:00.000Z' });
      expect(readFileSync(join(dir, 'rider-app', '0.9.0.json'), 'utf8')).toBe(text);
      expect(liveVersions(dir)).toEqual([]);
    });

    it('refuses other operations under a version already published, and takes the same manifest again', () => {
      publishVersion({ app: 'rider-app', version: '0.9.0', manifestText: JSON.stringify(OLD_APP), schema: servedSchema, dir });
      expect(publishVersion({ app: 'rider-app', version: '0.9.0', manifestText: JSON.stringify(OLD_APP), schema: servedSchema, dir })).toMatch(/already published with this manifest/);
      expect(() => publishVersion({ app: 'rider-app', version: '0.9.0', manifestText: JSON.stringify(riderApp), schema: servedSchema, dir })).toThrow(/already published with other operations/);
    });

    it('refuses an id that is not the SHA-256 of its body, a body the schema refuses, a wrong format, and unsafe names', () => {
      const tampered = manifestOf({ Tariff: 'query Tariff {\n  tariff {\n    holdMinutes\n  }\n}' });
      tampered.operations[0].body = 'query Tariff {\n  tariff {\n    holdMinutes\n    unlockFee {\n      formatted\n    }\n  }\n}';
      expect(manifestProblems(tampered, servedSchema)).toEqual([expect.stringMatching(/^operation Tariff: id [0-9a-f]{64} is not the SHA-256 of its body/)]);
      const invalid = manifestOf({ Tariff: 'query Tariff {\n  tariff {\n    holdMinute\n  }\n}' });
      expect(manifestProblems(invalid, servedSchema)).toEqual([expect.stringMatching(/^operation Tariff: Cannot query field "holdMinute" on type "Tariff"/)]);
      const misnamed = { ...invalid, operations: [{ ...manifestOf({ Tariff: 'query Tariff {\n  tariff {\n    holdMinutes\n  }\n}' }).operations[0], name: 'Other' }] };
      expect(manifestProblems(misnamed, servedSchema)).toEqual(["operation Other: the body's operation is named Tariff"]);
      expect(manifestProblems({ operations: [] }, servedSchema)).toEqual([expect.stringMatching(/not a persisted query manifest/)]);
      expect(() => publishVersion({ app: 'rider-app', version: '2.0.0', manifestText: JSON.stringify(tampered), schema: servedSchema, dir })).toThrow(/rider-app 2.0.0 is not published:\n {2}- operation Tariff: id/);
      expect(() => publishVersion({ app: '../gateway', version: '1.0.0', manifestText: JSON.stringify(OLD_APP), schema: servedSchema, dir })).toThrow(/app "..\/gateway"/);
      expect(() => publishVersion({ app: 'rider-app', version: '1.0.0/../x', manifestText: JSON.stringify(OLD_APP), schema: servedSchema, dir })).toThrow(/semantic version/);
      expect(readRegistry(dir)).toEqual({ apps: {} });
    });
  });

  describe('npm run graphql:usage', () => {
    it('names each field an operation selects on the type it is selected on, through fragments', () => {
      const used = coordinatesUsed(operationDocument(riderApp.operations.find(({ name }) => name === 'FindBikes')!.body).document, servedSchema);
      expect([...used].filter((coordinate) => coordinate.startsWith('Bike.')).sort()).toEqual(['Bike.batteryPercent', 'Bike.id', 'Bike.location', 'Bike.model', 'Bike.status']);
      expect(used).toContain('Query.bikesNear(radiusMeters:)');
      expect(used).not.toContain('Bike.__typename');
    });

    it('lists each field with the versions that use it, live and retired marked, and fields gone from the schema', () => {
      const versions = registryWithOldApp('retired').map((published) => ({
        ...published,
        operations: published.manifest.operations.map(({ name, body }) => ({ name, document: operationDocument(body).document })),
      }));
      const withoutStationCapacity = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8').replace(/\s*"""How many bikes fit."""\n\s*capacity: Int!/, ''));
      const report = usageReport(versions, withoutStationCapacity);
      const of = (coordinate: string) => report.find((usage) => usage.coordinate === coordinate);
      expect(of('Station.capacity')).toEqual({ coordinate: 'Station.capacity', removed: true, users: [{ app: 'rider-app', version: '0.9.0', status: 'retired', operations: ['StationCapacity'] }] });
      expect(of('Bike.station')!.users.map(({ version, status }) => `${version} ${status}`).sort()).toEqual(['0.9.0 retired', '1.0.0 live']);
      expect(of('Bike.batteryPercent')).toMatchObject({ removed: false, users: [{ version: '1.0.0', status: 'live', operations: ['Bike', 'FindBikes', 'HomeScreen', 'StartRide'] }] });
    });

    it('marks a deprecated field with its reason', () => {
      const deprecated = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8').replace(/(\n\s*batteryPercent: Int!)/, '$1 @deprecated(reason: "read the bike\'s lastSeenAt and its range instead")'));
      const report = usageReport([{ app: 'rider-app', version: '1.0.0', status: 'live', operations: [{ name: 'FindBikes', document: parse(riderApp.operations.find(({ name }) => name === 'FindBikes')!.body) }] }], deprecated);
      expect(report.find((usage) => usage.coordinate === 'Bike.batteryPercent')).toMatchObject({ deprecated: "read the bike's lastSeenAt and its range instead", removed: false });
    });

    it('tells for each deprecated field whether a live version still uses it', () => {
      const schema = apiSchemaOf(
        readFileSync(SUPERGRAPH_FILE, 'utf8')
          .replace(/(\n\s*batteryPercent: Int!)/, '$1 @deprecated(reason: "use the range")')
          .replace(/(\n\s*capacity: Int!)/, '$1 @deprecated(reason: "stations are zones now")'),
      );
      const versions = registryWithOldApp('retired').map((published) => ({
        ...published,
        operations: published.manifest.operations.map(({ name, body }) => ({ name, document: operationDocument(body).document })),
      }));
      expect(deprecatedUsage(schema, usageReport(versions, schema))).toEqual([
        { coordinate: 'Bike.batteryPercent', reason: 'use the range', liveUsers: ['rider-app 1.0.0'] },
        { coordinate: 'Station.capacity', reason: 'stations are zones now', liveUsers: [] },
      ]);
    });
  });
});
