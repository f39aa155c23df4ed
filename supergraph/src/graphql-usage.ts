// `npm run graphql:usage`: which published app version uses which field of the API schema (the
// committed supergraph's), live and retired versions marked, and for each deprecated field whether
// a live version still uses it. A deprecated field can go once no live version uses it (docs/api.md,
// "For app teams"). `-- --json` prints the same as JSON.
import { readFileSync } from 'node:fs';
import { publishedVersions } from './app-manifests';
import { operationDocument } from './app-publishing';
import { apiSchemaOf } from './composition';
import { deprecatedUsage, usageReport, type CoordinateUsage } from './schema-usage';
import { SUPERGRAPH_FILE } from './subgraphs';

const who = (usage: CoordinateUsage) => usage.users.map((user) => `${user.app} ${user.version} (${user.status})`);

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
  const deprecated = deprecatedUsage(schema, report);
  console.log(`\nDeprecated in the schema (${deprecated.length}):`);
  for (const { coordinate, reason, liveUsers } of deprecated) {
    console.log(`${coordinate}: ${reason}\n  ${liveUsers.length ? `still used by ${liveUsers.join(', ')} (live)` : 'no live version uses it: it can be removed'}`);
  }
}
