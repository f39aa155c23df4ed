// Calls a GraphQL endpoint over HTTP the way a mobile app does, and returns status, headers and body.
// With a dispatcher it calls over mutual TLS as a mesh workload (a subgraph, in local mesh mode).
import { fetch, type Dispatcher } from 'undici';

export interface GraphQLResult<Data = Record<string, any>> {
  status: number;
  headers: { get(name: string): string | null };
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface CallOptions {
  apiKey?: string;
  token?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Leave the query out (a persisted-query lookup by hash). */
  omitQuery?: boolean;
  /** Mutual TLS as a mesh workload, for calling a subgraph directly. */
  dispatcher?: Dispatcher;
}

export async function graphql<Data = Record<string, any>>(
  url: string,
  query: string,
  options: CallOptions = {},
): Promise<GraphQLResult<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    dispatcher: options.dispatcher,
    headers: {
      'content-type': 'application/json',
      ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query: options.omitQuery ? undefined : query, variables: options.variables, extensions: options.extensions }),
  });
  const body = (await response.json()) as Omit<GraphQLResult<Data>, 'status' | 'headers'>;
  // @apollo/gateway puts here what it had to null while shaping the subgraphs' answers into the
  // response (a non-null field a subgraph left null) when no subgraph reported an error: a break of
  // the subgraphs' own contract, never an answer a test should accept.
  const nulled = body.extensions?.valueCompletion as { message: string; path?: unknown[] }[] | undefined;
  if (nulled) {
    const first = nulled[0];
    throw new Error(`the gateway nulled ${nulled.length} value(s) its schema does not allow to be null, the first: ${first.message} at ${first.path?.join('.')}`);
  }
  return { status: response.status, headers: response.headers, ...body };
}

/** The codes of a result's errors, for short assertions. */
export const errorCodes = (result: GraphQLResult) => (result.errors ?? []).map((error) => error.extensions?.code);
