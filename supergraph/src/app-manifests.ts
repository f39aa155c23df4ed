// The operations each shipped app version may run (its trusted documents), kept in the repository
// beside the schema and read from files:
//   supergraph/app-manifests/<app>/<version>.json   the version's persisted query manifest, as built
//                                                   (Apollo's format: Apollo Kotlin, Apollo iOS and
//                                                   @apollo/generate-persisted-query-manifest write it)
//   supergraph/app-manifests/registry.json          {"apps":{"<app>":{"versions":{"<version>":
//                                                     {"status":"live"|"retired","publishedAt":"<ISO>"}}}}}
// The gateway serves only live versions' documents (trusted-documents.ts); of a retired version it
// keeps only the ids, so that a refusal can say "retired" rather than "unknown", and an unreadable
// retired manifest is skipped with a warning, since nothing it holds may run anyway. The tools read
// the same layout through this file: `npm run app:publish` and `app:retire` (app-publishing.ts),
// `npm run graphql:check` and `graphql:usage`. Every file is bounded before it is read, and a broken
// one is named in the error. docs/api.md, "For app teams", tells the process.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../services/platform/src/config';

/** Where the manifests are kept: in the repository, and in the gateway's image beside its code. */
export const APP_MANIFESTS_DIR = join(__dirname, '..', 'app-manifests');

/** The largest registry or manifest file read: far more than any app's operations (about 1 KB each). */
export const MAX_MANIFEST_FILE_BYTES = 4 * 1024 * 1024;

/** An app's or a version's name is a folder or a file name: no separators, no leading dot. */
const pathPart = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/, 'must be letters, digits, ".", "_", "+" or "-", starting with a letter or digit');

const registrySchema = z.object({
  apps: z.record(
    pathPart,
    z.object({
      versions: z.record(pathPart, z.object({ status: z.enum(['live', 'retired']), publishedAt: z.iso.datetime({ offset: true }) })),
    }),
  ),
});

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the body in lowercase hex'),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

export type AppRegistry = z.infer<typeof registrySchema>;
export type PersistedQueryManifest = z.infer<typeof manifestSchema>;
export type OperationType = PersistedQueryManifest['operations'][number]['type'];
export type VersionStatus = 'live' | 'retired';

/** One published app version with its manifest. */
export interface PublishedVersion {
  app: string;
  version: string;
  status: VersionStatus;
  manifest: PersistedQueryManifest;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export interface TrustedDocumentSet {
  /** Every live version's documents, by id (the SHA-256 of the body). */
  live: Map<string, string>;
  /** Ids found only in retired versions, with those versions ("rider-app 1.0.0"), to say why. */
  retired: Map<string, string[]>;
  /** The live versions, "<app> <version>", for the log. */
  liveVersions: string[];
  /** What was skipped (an unreadable retired manifest), for the log. */
  warnings: string[];
}

export const REGISTRY_FILE = 'registry.json';
export const manifestFile = (dir: string, app: string, version: string) => join(dir, app, `${version}.json`);

/** A file's text, refused when it is not a regular file or is over the limit (checked before reading). */
export function readBoundedFile(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new ConfigError(`${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!stats.isFile()) throw new ConfigError(`${path} is not a regular file`);
  if (stats.size > MAX_MANIFEST_FILE_BYTES) throw new ConfigError(`${path} is ${stats.size} bytes, over the limit of ${MAX_MANIFEST_FILE_BYTES}`);
  return readFileSync(path, 'utf8');
}

function parseJson<S extends z.ZodType>(path: string, text: string, schema: S, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => `  ${issue.path.join('.') || '(the file)'}: ${issue.message}`);
  throw new ConfigError(`${path} is not a valid ${what}:\n${problems.join('\n')}`);
}

/** The registry under `dir` (none yet: no apps). */
export function readRegistry(dir = APP_MANIFESTS_DIR): AppRegistry {
  const path = join(dir, REGISTRY_FILE);
  return existsSync(path) ? parseJson(path, readBoundedFile(path), registrySchema, 'app registry') : { apps: {} };
}

/** One version's manifest file, checked: its format, and each id the SHA-256 of its body. */
export function readManifestFile(path: string): PersistedQueryManifest {
  const manifest = parseJson(path, readBoundedFile(path), manifestSchema, 'persisted query manifest');
  for (const operation of manifest.operations) {
    const hash = sha256Hex(operation.body);
    if (hash !== operation.id) throw new ConfigError(`${path}: operation ${JSON.stringify(operation.name)} has id ${operation.id}, but its body's SHA-256 is ${hash}`);
  }
  return manifest;
}

/** One version's manifest: its operations by id. */
export const readManifest = (path: string): Map<string, string> => new Map(readManifestFile(path).operations.map((operation) => [operation.id, operation.body]));

/** Every published version with its manifest, live and retired, in the registry's order. */
export function publishedVersions(dir = APP_MANIFESTS_DIR): PublishedVersion[] {
  return Object.entries(readRegistry(dir).apps).flatMap(([app, { versions }]) =>
    Object.entries(versions).map(([version, { status }]) => ({ app, version, status, manifest: readManifestFile(manifestFile(dir, app, version)) })),
  );
}

export const liveVersions = (dir = APP_MANIFESTS_DIR) => publishedVersions(dir).filter((published) => published.status === 'live');

/** The registry and every live version's manifest under `dir`. Throws a ConfigError naming the broken file. */
export function readTrustedDocuments(dir: string): TrustedDocumentSet {
  const registry = parseJson(join(dir, REGISTRY_FILE), readBoundedFile(join(dir, REGISTRY_FILE)), registrySchema, 'app registry');
  const set: TrustedDocumentSet = { live: new Map(), retired: new Map(), liveVersions: [], warnings: [] };
  const retiredIds = new Map<string, string[]>();
  for (const [app, { versions }] of Object.entries(registry.apps)) {
    for (const [version, { status }] of Object.entries(versions)) {
      const path = manifestFile(dir, app, version);
      if (status === 'live') {
        for (const [id, body] of readManifest(path)) set.live.set(id, body);
        set.liveVersions.push(`${app} ${version}`);
        continue;
      }
      try {
        for (const id of readManifest(path).keys()) retiredIds.set(id, [...(retiredIds.get(id) ?? []), `${app} ${version}`]);
      } catch (error) {
        set.warnings.push(`retired ${app} ${version} skipped: ${(error as Error).message}`);
      }
    }
  }
  // An operation a live version still ships runs, whichever retired versions shipped it too.
  for (const [id, where] of retiredIds) if (!set.live.has(id)) set.retired.set(id, where);
  return set;
}
