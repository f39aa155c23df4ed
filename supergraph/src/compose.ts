// `npm run compose`: writes the composed supergraph SDL to supergraph/supergraph.graphql.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeSupergraph } from './composition';
import { SUPERGRAPH_FILE } from './subgraphs';

try {
  writeFileSync(SUPERGRAPH_FILE, composeSupergraph());
  console.log(`wrote ${relative(process.cwd(), SUPERGRAPH_FILE)}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
