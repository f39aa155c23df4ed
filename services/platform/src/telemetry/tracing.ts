// Spans and metrics of our own, beside what the instrumentations record: the ride flow's steps,
// database queries (for both PGlite and PostgreSQL), and per-method gRPC and per-operation GraphQL
// rate, errors and duration. Without the SDK (unit tests) these are no-ops.
import { context, metrics, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type BatchObservableCallback, type Link, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

const tracer = () => trace.getTracer('ecowheels');
const meter = () => metrics.getMeter('ecowheels');

/** Runs fn in a new active span; a thrown error marks the span as failed, with its message. */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
  /** Other traces this work belongs to as well (a batch links each sender's trace). */
  links: Link[] = [],
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes, kind, links }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs fn without recording spans: for background polling that would otherwise flood Jaeger. */
export function untraced<T>(fn: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(context.active()), fn);
}

/**
 * Runs fn, and whatever it schedules (timers carry the context they were set in), outside the
 * caller's trace and without recording spans: for a background loop that a request only wakes.
 * Without it the loop's every look would join the trace of the request that happened to wake it,
 * long after that request was answered, or, woken by no request, be a trace of its own each time.
 * Work the loop finds is traced with inRootSpan.
 */
export function inBackground<T>(fn: () => T): T {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}

/** inSpan, as the root of a trace of its own, also inside inBackground or untraced. */
export function inRootSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return context.with(ROOT_CONTEXT, () => inSpan(name, attributes, fn));
}

export function markFailed(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : new Error(message));
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** The trace id of the active span, or undefined outside one. */
export const activeTraceId = () => trace.getActiveSpan()?.spanContext().traceId;

/** A counter made once per process, on first use, from the global meter provider. */
export function lazyCounter(name: string, description: string, unit = '1') {
  let counter: ReturnType<ReturnType<typeof meter>['createCounter']> | undefined;
  return (value: number, attributes: Attributes = {}) => {
    counter ??= meter().createCounter(name, { description, unit });
    counter.add(value, attributes);
  };
}

/**
 * Buckets for histograms in seconds, from 5 ms to 10 min: OpenTelemetry's default boundaries (0, 5,
 * 10, 25 … 10,000) suit milliseconds, and would put every request of a seconds histogram in its
 * first bucket, where no latency objective can be read.
 */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Histograms are made once per process, on first use, from the global meter provider. */
export function lazyHistogram(name: string, description: string, unit: string) {
  let histogram: ReturnType<ReturnType<typeof meter>['createHistogram']> | undefined;
  return (value: number, attributes: Attributes) => {
    histogram ??= meter().createHistogram(name, { description, unit, ...(unit === 's' ? { advice: { explicitBucketBoundaries: SECONDS_BUCKETS } } : {}) });
    histogram.record(value, attributes);
  };
}

/** A gauge made once per process, on first use: each call sets the value the next scrape reports. */
export function lazyGauge(name: string, description: string, unit = '1') {
  let gauge: ReturnType<ReturnType<typeof meter>['createGauge']> | undefined;
  return (value: number, attributes: Attributes = {}) => {
    gauge ??= meter().createGauge(name, { description, unit });
    gauge.record(value, attributes);
  };
}

/**
 * A connection pool's use, read at each collection, under OpenTelemetry's db.client.connections.*
 * names (usage by state, max, pending_requests): the pool-saturation alert watches them. Answers a
 * function that stops reporting (when the pool closes).
 */
export function observeConnectionPool(pool: string, stats: () => { used: number; idle: number; pending: number; max: number }): () => void {
  const m = meter();
  const usage = m.createObservableUpDownCounter('db.client.connections.usage', { description: 'Connections of the pool, by state (used, idle)' });
  const max = m.createObservableUpDownCounter('db.client.connections.max', { description: 'The most connections the pool opens' });
  const pending = m.createObservableUpDownCounter('db.client.connections.pending_requests', { description: 'Queries waiting for a connection of the pool' });
  const callback: BatchObservableCallback = (result) => {
    const now = stats();
    result.observe(usage, now.used, { 'pool.name': pool, state: 'used' });
    result.observe(usage, now.idle, { 'pool.name': pool, state: 'idle' });
    result.observe(max, now.max, { 'pool.name': pool });
    result.observe(pending, now.pending, { 'pool.name': pool });
  };
  m.addBatchObservableCallback(callback, [usage, max, pending]);
  return () => m.removeBatchObservableCallback(callback, [usage, max, pending]);
}

/** rpc.server.duration / rpc.client.duration, as the RPC semantic conventions name them. */
export const recordRpcServerDuration = lazyHistogram('rpc.server.duration', 'Duration of inbound gRPC calls', 'ms');
export const recordRpcClientDuration = lazyHistogram('rpc.client.duration', 'Duration of outbound gRPC calls', 'ms');
/** Per GraphQL operation: count is the rate, error.type the errors, the buckets the duration. */
export const recordGraphqlDuration = lazyHistogram('graphql.server.request.duration', 'Duration of GraphQL operations', 's');
