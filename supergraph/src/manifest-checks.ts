// The schema's promise to shipped apps: every operation of every live app version stays valid
// against the API schema the subgraphs compose to now, and a breaking change recorded as
// deliberate (deliberate-breaking-changes.json) may remove only what no live version uses.
// `npm run graphql:check` runs it, and so does test/contracts/app-manifests.test.ts in `npm test`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, validate, type GraphQLSchema } from 'graphql';
import { liveVersions, type PublishedVersion } from './app-manifests';
import { operationDocument } from './app-publishing';
import { apiSchemaOf, composeSupergraph, type DeliberateChange, type SubgraphSchemas } from './composition';
import { coordinatesUsedAcross, removedCoordinates } from './schema-usage';
import { API_BASELINE_FILE, DELIBERATE_CHANGES_FILE, SUPERGRAPH_FILE } from './subgraphs';

const ROOT = join(__dirname, '..', '..');

const label = (published: PublishedVersion) => `${published.app} ${published.version}`;

/** Each operation of these versions that the schema refuses, with graphql-js's reason. */
export function operationsBrokenBy(schema: GraphQLSchema, versions: PublishedVersion[]): string[] {
  return versions.flatMap((published) =>
    published.manifest.operations.flatMap(({ name, body }) =>
      validate(schema, operationDocument(body).document).map((error) => `${label(published)}, operation ${name}: ${error.message}`),
    ),
  );
}

/**
 * Each deliberate breaking change that removes something a live version still uses, naming the
 * versions and operations. Usage is read against every schema given (the proposed one and those
 * before it), so that a field is traced whichever schema still has the path to it.
 */
export function deliberateChangesInUse(deliberate: DeliberateChange[], schemas: GraphQLSchema[], versions: PublishedVersion[]): string[] {
  const usage = versions.flatMap((published) =>
    published.manifest.operations.map(({ name, body }) => ({ who: `${label(published)} (${name})`, used: coordinatesUsedAcross(operationDocument(body).document, schemas) })),
  );
  return deliberate.flatMap(({ description }) => {
    const removed = removedCoordinates(description);
    const users = usage.filter(({ used }) => removed.some((coordinate) => used.has(coordinate))).map(({ who }) => who);
    return users.length === 0
      ? []
      : [`deliberate-breaking-changes.json: "${description}" is not accepted while live app versions use ${removed[0]}: ${users.join(', ')}. Retire those versions first (npm run app:retire)`];
  });
}

/**
 * The API schemas before the change under review: the released baseline, the committed
 * supergraph, and the main branch's supergraph when there is one.
 */
export function previousApiSchemas(): GraphQLSchema[] {
  const schemas = [buildSchema(readFileSync(API_BASELINE_FILE, 'utf8')), apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'))];
  const onMain = spawnSync('git', ['show', 'main:supergraph/supergraph.graphql'], { cwd: ROOT, encoding: 'utf8' });
  if (onMain.status === 0) schemas.push(apiSchemaOf(onMain.stdout));
  return schemas;
}

export interface CheckOptions {
  /** The subgraph schemas to compose; the files in services/ by default. */
  subgraphs?: SubgraphSchemas;
  /** The published versions to hold the schema to; the live ones in supergraph/app-manifests/ by default. */
  versions?: PublishedVersion[];
  /** The deliberate breaking changes; deliberate-breaking-changes.json by default. */
  deliberate?: DeliberateChange[];
}

/** Everything that would break a live app version: empty when the change is safe for them all. */
export function graphqlCheck(options: CheckOptions = {}): string[] {
  const proposed = apiSchemaOf(composeSupergraph(options.subgraphs));
  const versions = options.versions ?? liveVersions();
  const deliberate = options.deliberate ?? (JSON.parse(readFileSync(DELIBERATE_CHANGES_FILE, 'utf8')) as DeliberateChange[]);
  return [...operationsBrokenBy(proposed, versions), ...deliberateChangesInUse(deliberate, [proposed, ...previousApiSchemas()], versions)];
}
