// Serves this process's metrics at GET /metrics in Prometheus' text format, on the HTTP server the
// process already has (the subgraph's, or the gateway's), so there is no extra port to open.
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
