// Composes the supergraph offline from the subgraph schema files, with @apollo/composition. The
// gateway starts from the committed result, so it starts even when a subgraph is down.
import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from './subgraphs';

export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPHS.map(({ name, schemaFile, defaultUrl }) => ({
      name,
      url: defaultUrl,
      typeDefs: parse(readFileSync(schemaFile, 'utf8')),
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}
