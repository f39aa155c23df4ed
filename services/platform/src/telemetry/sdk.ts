// OpenTelemetry for one process: traces over OTLP to whatever OTEL_EXPORTER_OTLP_ENDPOINT names
// (Jaeger takes OTLP on 4317/4318), metrics for Prometheus to scrape at /metrics, and trace ids in
// every log line. Configured with the standard OTEL_* variables; this file only chooses defaults.
//
// It must start before http, @grpc/grpc-js, graphql and pino are loaded, since instrumentations
// patch modules as they load: bootstrap.ts, the first import of every main.ts, starts it.
import { basename, dirname } from 'node:path';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

export const PROMETHEUS = Symbol.for('ecowheels.telemetry.prometheus');

/** The process's name, from its main file: services/<name>/src/main.ts, or supergraph/ for the gateway. */
function processName(): string {
  const main = process.argv[1] ?? '';
  const folder = basename(dirname(dirname(main)));
  return folder === 'supergraph' ? 'gateway' : folder;
}

const exportsTraces = Boolean(
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_TRACES_EXPORTER,
);

export function startTelemetry(): { sdk: NodeSDK; prometheus: PrometheusExporter } {
  process.env.OTEL_SERVICE_NAME ??= processName();
  // Metrics are scraped, not pushed; logs go to stdout. Without these, shutdown waits ~8 s for
  // exporters trying localhost:4318.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // The cloud detectors probe metadata endpoints at start; none of them applies on a laptop.
  process.env.OTEL_NODE_RESOURCE_DETECTORS ??= 'env,host,os,process';

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const sdk = new NodeSDK({
    // With no endpoint nothing is exported, but spans still exist: trace context still flows from
    // service to service, and trace ids still reach logs and responses.
    ...(exportsTraces ? {} : { spanProcessors: [new tracing.NoopSpanProcessor()] }),
    metricReaders: [prometheus],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => request.url === '/metrics' || request.url === '/health',
      }),
      new GrpcInstrumentation(),
      // Resolver spans for operations' fields and their children only: no span per scalar field.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 2 }),
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
  // Found by the HTTP servers that serve /metrics (see metrics-endpoint.ts).
  (globalThis as Record<symbol, unknown>)[PROMETHEUS] = prometheus;
  return { sdk, prometheus };
}
