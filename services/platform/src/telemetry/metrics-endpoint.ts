// Serves this process's metrics at GET /metrics in Prometheus' text format: on a service's subgraph
// server (which only mesh workloads reach), and on the gateway's own metrics port (GATEWAY_METRICS_PORT),
// never on its public one.
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Express } from 'express';
import { PROMETHEUS } from './sdk';

export function serveMetrics(app: Express): void {
  app.get('/metrics', (req, res) => {
    const exporter = (globalThis as Record<symbol, unknown>)[PROMETHEUS] as PrometheusExporter | undefined;
    if (!exporter) {
      res.status(404).type('text/plain').send('telemetry is not running in this process\n');
      return;
    }
    exporter.getMetricsRequestHandler(req, res);
  });
}
