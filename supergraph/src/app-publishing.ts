// Publishing and retiring app versions: `npm run app:publish` checks a persisted query manifest
// (its format, each id the SHA-256 of its body, each name and type those of the body's one
// operation, each body valid against the API schema) and records the version live;
// `npm run app:retire` marks one retired. The layout is app-manifests.ts's.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { APP_MANIFESTS_DIR, manifestFile, readRegistry, REGISTRY_FILE, sha256Hex, type AppRegistry, type PersistedQueryManifest } from './app-manifests';

// Names become paths: lower-case words for apps, semantic versions for versions, nothing else.
const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const registryFile = (dir: string) => join(dir, REGISTRY_FILE);

function writeRegistry(registry: AppRegistry, dir: string): void {
  // Apps and versions in a stable order, so that a change shows as one line in review.
  const sorted: AppRegistry = { apps: {} };
  for (const app of Object.keys(registry.apps).sort()) {
    const versions = registry.apps[app].versions;
    sorted.apps[app] = { versions: Object.fromEntries(Object.keys(versions).sort(compareVersions).map((version) => [version, versions[version]])) };
  }
  writeFileSync(registryFile(dir), `${JSON.stringify(sorted, null, 2)}\n`);
}

/** Semantic versions in release order (pre-release tags compared as text, which is enough here). */
function compareVersions(a: string, b: string): number {
  const numbers = (version: string) => version.split(/[-+]/)[0].split('.').map(Number);
  const [x, y] = [numbers(a), numbers(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.localeCompare(b);
}

/** The operation a manifest entry's body defines, with its fragments; throws a GraphQLError when it does not parse. */
export function operationDocument(body: string): { document: DocumentNode; operation: OperationDefinitionNode | undefined } {
  const document = parse(body);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return { document, operation: operations.length === 1 ? operations[0] : undefined };
}

/**
 * What is wrong with a manifest, each problem a sentence naming the operation: the format, each
 * id (the SHA-256 of its body, in hex), each name and type (those of the body's one operation), and
 * each body against the schema (graphql-js's validation, as the gateway would run it).
 */
export function manifestProblems(manifest: unknown, schema: GraphQLSchema): string[] {
  const candidate = manifest as Partial<PersistedQueryManifest> | null;
  if (candidate?.format !== 'apollo-persisted-query-manifest' || candidate.version !== 1 || !Array.isArray(candidate.operations)) {
    return ['not a persisted query manifest: expected {"format":"apollo-persisted-query-manifest","version":1,"operations":[...]}'];
  }
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [index, entry] of candidate.operations.entries()) {
    const { id, name, type, body } = entry ?? {};
    const label = typeof name === 'string' ? `operation ${name}` : `operation #${index + 1}`;
    if (typeof id !== 'string' || typeof name !== 'string' || typeof type !== 'string' || typeof body !== 'string') {
      problems.push(`${label}: needs id, name, type and body, each a string`);
      continue;
    }
    if (names.has(name)) problems.push(`${label}: the name is used twice (the client looks ids up by name)`);
    names.add(name);
    if (id !== sha256Hex(body)) problems.push(`${label}: id ${id} is not the SHA-256 of its body (${sha256Hex(body)})`);
    let parsed: ReturnType<typeof operationDocument>;
    try {
      parsed = operationDocument(body);
    } catch (error) {
      problems.push(`${label}: ${error instanceof GraphQLError ? error.message : String(error)}`);
      continue;
    }
    if (!parsed.operation) {
      problems.push(`${label}: the body must hold exactly one operation`);
      continue;
    }
    if (parsed.operation.name?.value !== name) problems.push(`${label}: the body's operation is named ${parsed.operation.name?.value ?? '(nothing)'}`);
    if (parsed.operation.operation !== type) problems.push(`${label}: the body is a ${parsed.operation.operation}, not a ${type}`);
    for (const error of validate(schema, parsed.document)) problems.push(`${label}: ${error.message}`);
  }
  return problems;
}

export class PublishRefused extends Error {}

/**
 * Records a manifest as an app version's, live: checks it (manifestProblems), copies it unchanged
 * to <app>/<version>.json, and adds the version to the registry. A published version is never
 * replaced by other operations, since installed apps send them: publish a new version instead.
 */
export function publishVersion(options: { app: string; version: string; manifestText: string; schema: GraphQLSchema; dir?: string; now?: Date }): string {
  const { app, version, manifestText, schema, dir = APP_MANIFESTS_DIR, now = new Date() } = options;
  if (!APP_NAME.test(app)) throw new PublishRefused(`app "${app}": use lower-case letters, digits and dashes (rider-app)`);
  if (!VERSION.test(version)) throw new PublishRefused(`version "${version}": use a semantic version (1.4.0)`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText);
  } catch (error) {
    throw new PublishRefused(`the manifest is not JSON: ${(error as Error).message}`);
  }
  const problems = manifestProblems(manifest, schema);
  if (problems.length > 0) throw new PublishRefused(`${app} ${version} is not published:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  const registry = readRegistry(dir);
  const file = manifestFile(dir, app, version);
  if (registry.apps[app]?.versions[version]) {
    if (existsSync(file) && readFileSync(file, 'utf8') === manifestText) return `${app} ${version} is already published with this manifest`;
    throw new PublishRefused(`${app} ${version} is already published with other operations; installed apps send those, so publish this manifest as a new version`);
  }
  mkdirSync(join(dir, app), { recursive: true });
  writeFileSync(file, manifestText);
  registry.apps[app] ??= { versions: {} };
  registry.apps[app].versions[version] = { status: 'live', publishedAt: now.toISOString() };
  writeRegistry(registry, dir);
  return `published ${app} ${version} (${(manifest as PersistedQueryManifest).operations.length} operations), live`;
}

/** Marks a version retired: its file stays (for the record and `graphql:usage`), its operations stop. */
export function retireVersion(options: { app: string; version: string; dir?: string }): string {
  const { app, version, dir = APP_MANIFESTS_DIR } = options;
  const registry = readRegistry(dir);
  const entry = registry.apps[app]?.versions[version];
  if (!entry) throw new PublishRefused(`${app} ${version} was never published (see ${registryFile(dir)})`);
  if (entry.status === 'retired') return `${app} ${version} was already retired`;
  entry.status = 'retired';
  writeRegistry(registry, dir);
  return `retired ${app} ${version}`;
}
