// `npm run graphql:usage`: which published app version uses which field of the API schema (the
// committed supergraph's), live and retired versions marked, and for each deprecated field whether
// a live version still uses it. A deprecated field can go once no live version uses it (docs/api.md,
// "For app teams"). `-- --json` prints the same as JSON.
import { readFileSync } from 'node:fs';
import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { operationDocument, publishedVersions } from './app-manifests';
import { apiSchemaOf } from './composition';
import { usageReport, type CoordinateUsage } from './schema-usage';
import { SUPERGRAPH_FILE } from './subgraphs';

/** Every deprecated field and argument of the schema, with its reason. */
function deprecatedCoordinates(schema: GraphQLSchema): Map<string, string> {
  const deprecated = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (!isObjectType(type) && !isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.deprecationReason) deprecated.set(`${type.name}.${field.name}`, field.deprecationReason);
      for (const arg of field.args) if (arg.deprecationReason) deprecated.set(`${type.name}.${field.name}(${arg.name}:)`, arg.deprecationReason);
    }
  }
  return deprecated;
}

const who = (usage: CoordinateUsage | undefined, status?: string) =>
  (usage?.users ?? []).filter((user) => !status || user.status === status).map((user) => `${user.app} ${user.version} (${user.status})`);

const schema = apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
const versions = publishedVersions().map((published) => ({
  ...published,
  operations: published.manifest.operations.map(({ name, body }) => ({ name, document: operationDocument(body).document })),
}));
const report = usageReport(versions, schema);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`What each published app version uses of the API schema (${versions.length} versions, supergraph/app-manifests/):\n`);
  const width = Math.max(...report.map((usage) => usage.coordinate.length));
  for (const usage of report) {
    const marks = [usage.deprecated ? 'deprecated' : '', usage.removed ? 'not in the schema' : ''].filter(Boolean);
    console.log(`${usage.coordinate.padEnd(width)}  ${who(usage).join(', ')}${marks.length ? `  [${marks.join(', ')}]` : ''}`);
  }
  const deprecated = deprecatedCoordinates(schema);
  console.log(`\nDeprecated in the schema (${deprecated.size}):`);
  for (const [coordinate, reason] of deprecated) {
    const usage = report.find((candidate) => candidate.coordinate === coordinate);
    const live = who(usage, 'live');
    console.log(`${coordinate}: ${reason}\n  ${live.length ? `still used by ${live.join(', ')}` : 'no live version uses it: it can be removed'}`);
  }
}
