// The two load generators of the benchmark suite. Both run closed loops (each client sends its next
// request when the last one is answered) for a fixed time, and report the same figures.
//   closedLoop  any async call: gRPC requests and ride flows (the project's own small generator)
//   httpLoad    one HTTP request repeated, with autocannon
import autocannon from 'autocannon';

export interface LoadResult {
  /** Completed calls per second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** Calls that failed; a run with errors is reported, never trusted silently. */
  errors: number;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Runs `call` from `clients` concurrent loops for `seconds`; `call` gets the loop's index. */
export async function closedLoop(options: { clients: number; seconds: number; call: (client: number) => Promise<unknown> }): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      while (performance.now() < endAt) {
        const sent = performance.now();
        try {
          await options.call(client);
          latencies.push(performance.now() - sent);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

export interface HttpRequestSpec {
  url: string;
  /** One set of headers per caller; the load takes them in turn, request by request. */
  headers: Record<string, string>[];
  body: string;
}

/** POSTs one request from `connections` connections for `seconds`, each time as the next caller. */
export async function httpLoad(spec: HttpRequestSpec, options: { connections: number; seconds: number }): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: spec.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        body: spec.body,
        setupRequest: (request) => ({ ...request, headers: spec.headers[next++ % spec.headers.length] }),
      },
    ],
  });
  return {
    rate: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/**
 * Sends a GraphQL request once and fails unless it was answered with data and no errors, so a load
 * never measures how fast something refuses. That includes what a federated gateway had to null
 * while shaping the answer (`extensions.valueCompletion`): a load that makes it measures a broken
 * answer.
 */
export async function checkGraphql(spec: HttpRequestSpec): Promise<void> {
  const response = await fetch(spec.url, { method: 'POST', headers: spec.headers[0], body: spec.body });
  const answer = (await response.json()) as { data?: unknown; errors?: unknown[]; extensions?: { valueCompletion?: unknown[] } };
  if (!response.ok || answer.errors?.length || answer.extensions?.valueCompletion?.length || !answer.data) {
    throw new Error(`${spec.url} answered ${response.status}: ${JSON.stringify(answer).slice(0, 500)}`);
  }
}
