// `npm run compose`: writes the composed supergraph SDL to supergraph/supergraph.graphql.
// `npm run graphql:baseline` also records the current API schema as the released baseline
// that breaking-change checks compare against (do it when a breaking change is released on purpose).
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeSupergraph, printApiSchema } from './composition';
import { API_BASELINE_FILE, SUPERGRAPH_FILE } from './subgraphs';

try {
  const supergraph = composeSupergraph();
  writeFileSync(SUPERGRAPH_FILE, supergraph);
  console.log(`wrote ${relative(process.cwd(), SUPERGRAPH_FILE)}`);
  if (process.argv.includes('--baseline')) {
    writeFileSync(API_BASELINE_FILE, printApiSchema(supergraph));
    console.log(`wrote ${relative(process.cwd(), API_BASELINE_FILE)}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
