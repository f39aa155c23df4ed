// Composes the supergraph offline from the subgraph schema files, with @apollo/composition, and
// derives the API schema clients see from it. The gateway starts from the committed result, so it
// starts even when a subgraph is down.
import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { buildSchema, findBreakingChanges, parse, printSchema, type BreakingChange, type GraphQLSchema } from 'graphql';

import { SUBGRAPHS, type SubgraphName } from './subgraphs';

export type SubgraphSchemas = Record<SubgraphName, string>;

export function readSubgraphSchemas(): SubgraphSchemas {
  return Object.fromEntries(SUBGRAPHS.map(({ name, schemaFile }) => [name, readFileSync(schemaFile, 'utf8')])) as SubgraphSchemas;
}

export function composeSupergraph(schemas: SubgraphSchemas = readSubgraphSchemas()): string {
  const result = composeServices(
    SUBGRAPHS.map(({ name, defaultUrl }) => ({ name, url: defaultUrl, typeDefs: parse(schemas[name]) })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}

/** The schema clients see: the supergraph without its federation machinery. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export const printApiSchema = (supergraphSdl: string) => `${printSchema(apiSchemaOf(supergraphSdl)).trimEnd()}\n`;

export interface DeliberateChange {
  /** The change as graphql-js describes it, for example "Query.bike was removed." */
  description: string;
  /** Why it was worth breaking clients, and how they were told. */
  why: string;
}

/** Changes from `before` to `after` that break existing clients and were not recorded as deliberate. */
export function unexpectedBreakingChanges(before: GraphQLSchema | string, after: GraphQLSchema, deliberate: DeliberateChange[]): BreakingChange[] {
  const old = typeof before === 'string' ? buildSchema(before) : before;
  const allowed = new Set(deliberate.map((change) => change.description));
  return findBreakingChanges(old, after).filter((change) => !allowed.has(change.description));
}
