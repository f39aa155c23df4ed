// `npm run graphql:check`: would the schema the subgraphs compose to now break a live app version?
// Fails naming each app version and operation with graphql-js's reason, and each deliberate
// breaking change that removes what a live version uses (manifest-checks.ts).
import { liveVersions } from './app-manifests';
import { graphqlCheck } from './manifest-checks';

try {
  const versions = liveVersions();
  const problems = graphqlCheck({ versions });
  if (problems.length > 0) {
    console.error(`the proposed API schema breaks live app versions:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    process.exit(1);
  }
  const operations = versions.reduce((sum, published) => sum + published.manifest.operations.length, 0);
  console.log(`ok: the proposed API schema serves every operation of the live app versions (${versions.length}, ${operations} operations)`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
