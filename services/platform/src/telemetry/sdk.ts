// OpenTelemetry for one process: traces over OTLP to whatever OTEL_EXPORTER_OTLP_ENDPOINT names
// (Jaeger takes OTLP on 4317/4318), metrics for Prometheus to scrape at /metrics, and trace ids in
// every log line. Configured with the standard OTEL_* variables; this file only chooses defaults.
//
// It must start before http, @grpc/grpc-js, graphql and pino are loaded, since instrumentations
// patch modules as they load: bootstrap.ts, the first import of every main.ts, starts it. (undici,
// the gateway's HTTP client, is seen through its diagnostics channels instead, which need no patching.)
//
// It assembles the tracer and meter providers itself rather than through @opentelemetry/sdk-node,
// which loads every exporter it might be asked for (logs, metrics, Zipkin, three OTLP transports)
// and cost each process about 200 ms of its start (measured with `npm run bench`, P6). The one
// trace exporter the environment asks for is loaded, and only when it asks for one.
import { basename, dirname } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { detectResources, envDetector, hostDetector, osDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { SERVICE_NAMES } from '../service-names';
import { waitAtMost } from '../wait-at-most';

export const PROMETHEUS = Symbol.for('ecowheels.telemetry.prometheus');

/** The process's name, from its main file: services/<name>/src/main.ts, or supergraph/ for the gateway. */
function processName(): string {
  const main = process.argv[1] ?? '';
  const folder = basename(dirname(dirname(main)));
  return folder === 'supergraph' ? 'gateway' : folder;
}

/**
 * The span processors OTEL_TRACES_EXPORTER and the OTLP variables ask for: none unless an endpoint
 * or an exporter is named. Without one, spans still exist: trace context still flows from service
 * to service, and trace ids still reach logs and responses.
 */
/** Where this process sends its spans, as its "ready" line says: "none", or the exporters. */
let traceExport = 'none';
export function traceExportDescription(): string {
  return traceExport;
}

function spanProcessors(): SpanProcessor[] {
  const named = process.env.OTEL_TRACES_EXPORTER;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const exporters = (named ?? (endpoint ? 'otlp' : 'none')).split(',').map((name) => name.trim());
  return exporters.flatMap((name): SpanProcessor[] => {
    if (name === 'none') return [];
    if (name === 'console') {
      traceExport = 'console';
      return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    }
    if (name === 'otlp') {
      const exporter = otlpExporter();
      if (exporter) traceExport = `otlp to ${endpoint ?? 'the default endpoint'}`;
      return exporter ? [new BatchSpanProcessor(exporter)] : [];
    }
    // As the OpenTelemetry SDK does: a wrong setting costs the traces, never the service.
    console.error(JSON.stringify({ level: 40, msg: `OTEL_TRACES_EXPORTER=${name} is not supported; use otlp, console or none. No traces are exported.` }));
    return [];
  });
}

/** The OTLP trace exporter for the protocol asked for (http/protobuf unless told otherwise). */
function otlpExporter(): SpanExporter | undefined {
  const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when this protocol is used */
  if (protocol === 'http/protobuf') return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  if (protocol === 'http/json') return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  if (protocol === 'grpc') return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  /* eslint-enable @typescript-eslint/no-require-imports */
  console.error(JSON.stringify({ level: 40, msg: `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; use http/protobuf, http/json or grpc. No traces are exported.` }));
  return undefined;
}

/** What stops this process's providers once started; undefined before, or when the SDK is disabled. */
let stopProviders: (() => Promise<void>) | undefined;

/** Flushes this process's spans and stops telemetry, giving up after `timeoutMs` (an exporter may be unreachable). */
export async function shutdownTelemetry(timeoutMs = 2000): Promise<void> {
  if (stopProviders) await waitAtMost(stopProviders(), timeoutMs);
}

/** The processes whose HTTP routes start their own server spans (server-span.ts): the five services. */
const SERVICES_WITH_SERVER_SPANS: readonly string[] = SERVICE_NAMES;

/**
 * The instrumentations, by the names OpenTelemetry's Node auto-instrumentation uses, so an operator
 * can turn one off with its standard variable (`OTEL_NODE_DISABLED_INSTRUMENTATIONS=graphql,pino`)
 * without a new image; the benchmark measures each one's cost that way (row P4).
 */
const INSTRUMENTATIONS = {
  // The gateway's incoming requests (the apps'), and outgoing http requests anywhere. A service's
  // incoming routes have their server spans from server-span.ts instead, at a fraction of the cost;
  // the gateway keeps this one, whose span also covers what its edge refuses before any route (and
  // so do the benchmark's gateway peers, so that they are traced as ours is).
  http: () =>
    new HttpInstrumentation({
      disableIncomingRequestInstrumentation: SERVICES_WITH_SERVER_SPANS.includes(processName()),
      ignoreIncomingRequestHook: (request) => request.url === '/metrics' || request.url === '/health',
    }),
  grpc: () => new GrpcInstrumentation(),
  // undici (the gateway's calls to subgraphs, and Node's fetch): a client span, and the W3C trace
  // context in the request's headers, so the subgraph's spans join the caller's trace.
  undici: () => new UndiciInstrumentation(),
  // Resolver spans for operations' fields and their children only: no span per scalar field.
  graphql: () => new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 2 }),
  // Log correlation only: the trace and span ids on every log line, which is how an investigation
  // goes from a trace in Jaeger to its lines. Log sending, on by default, would also route every
  // line through a second stream that parses it back from JSON for the OpenTelemetry Logs API,
  // which has no provider here (the lines go to stdout, where the platform collects them): all of
  // that work was thrown away.
  pino: () => new PinoInstrumentation({ disableLogSending: true }),
};
export type InstrumentationName = keyof typeof INSTRUMENTATIONS;
export const INSTRUMENTATION_NAMES = Object.keys(INSTRUMENTATIONS) as InstrumentationName[];

/** The instrumentations to run: all but those OTEL_NODE_DISABLED_INSTRUMENTATIONS names; a name we lack stops the start. */
export function enabledInstrumentations(env: NodeJS.ProcessEnv = process.env): InstrumentationName[] {
  const disabled = (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = disabled.filter((name) => !(name in INSTRUMENTATIONS));
  if (unknown.length > 0) {
    throw new Error(`OTEL_NODE_DISABLED_INSTRUMENTATIONS names ${unknown.join(', ')}, which this service does not have; it has ${INSTRUMENTATION_NAMES.join(', ')}`);
  }
  return INSTRUMENTATION_NAMES.filter((name) => !disabled.includes(name));
}

export function startTelemetry(): void {
  process.env.OTEL_SERVICE_NAME ??= processName();
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  // Found by the HTTP servers that serve /metrics (see metrics-endpoint.ts).
  (globalThis as Record<symbol, unknown>)[PROMETHEUS] = prometheus;
  if (process.env.OTEL_SDK_DISABLED === 'true') return;

  // Service name and version from the OTEL_* variables, plus host, OS and process; no cloud
  // detectors, which probe metadata endpoints that do not exist on a laptop.
  const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME }).merge(
    detectResources({ detectors: [envDetector, hostDetector, osDetector, processDetector] }),
  );
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: spanProcessors() });
  tracerProvider.register(); // W3C trace context and baggage, in AsyncLocalStorage
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);
  registerInstrumentations({ tracerProvider, meterProvider, instrumentations: enabledInstrumentations().map((name) => INSTRUMENTATIONS[name]()) });
  stopProviders = async () => {
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  };
}
