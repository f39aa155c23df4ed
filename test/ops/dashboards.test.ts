// The dashboards as code (mesh-config/dashboards.ts), and the local overlay that runs them:
// - every dashboard is a ConfigMap Grafana's sidecar loads, with unique ids and a query per panel;
// - every panel's query parses as PromQL;
// - every metric a panel or an alert rule reads is exported by a running stack: checked on the stack
//   test/telemetry/tracing.test.ts runs (and, for the bus's own, in nats-jetstream.test.ts);
// - the local overlay's Prometheus configuration passes `promtool check config` with the generated
//   rules, and the Tiltfile forwards a port to each of Jaeger, Prometheus and Grafana.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { DASHBOARDS, dashboardConfigMaps, dashboardQueries } from '../../mesh-config/dashboards';
import { parsePromql, withoutGrafanaVariables } from '../support/metric-names';

const ROOT = join(__dirname, '..', '..');
const PROMTOOL = process.env.TEST_PROMTOOL ?? 'promtool';

describe('dashboards as code', () => {
  it('ships each dashboard as a ConfigMap labelled for Grafana\'s sidecar, with unique uids and a query in every panel', () => {
    const maps = dashboardConfigMaps() as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> }[];
    expect(maps.map((map) => map.metadata.name)).toEqual(Object.keys(DASHBOARDS).map((name) => `dashboard-${name}`));
    const uids = new Set<string>();
    for (const map of maps) {
      expect(map.metadata.labels).toEqual({ grafana_dashboard: '1' });
      const [json] = Object.values(map.data);
      const dashboard = JSON.parse(json) as { uid: string; panels: { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] }[] };
      uids.add(dashboard.uid);
      const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
      expect(panels.length).toBeGreaterThan(3);
      for (const panel of panels) {
        expect({ panel: panel.title, targets: panel.targets?.length ?? 0 }).toEqual({ panel: panel.title, targets: expect.any(Number) });
        expect(panel.targets!.length).toBeGreaterThan(0);
        for (const query of panel.targets!) expect(query.datasource.uid).toBe('${datasource}');
      }
    }
    expect(uids.size).toBe(maps.length);
  });

  it('writes every panel\'s query in PromQL that parses', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(30);
    const broken = queries.filter(({ expr }) => parsePromql(withoutGrafanaVariables(expr)).errors.length > 0);
    expect(broken).toEqual([]);
    // The check can fail: a missing bracket is an error.
    expect(parsePromql('sum(rate(telematics_readings_received_total[5m])').errors.length).toBeGreaterThan(0);
  });

  it('runs the local overlay\'s Prometheus on a configuration promtool accepts, with the generated rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-prometheus-config-'));
    try {
      const documents = parseAllDocuments(readFileSync(join(ROOT, 'mesh-config', 'overlays', 'local', 'observability', 'prometheus.yaml'), 'utf8')).map((document) => document.toJS());
      const config = documents.find((document) => document.kind === 'ConfigMap' && document.metadata.name === 'prometheus-config').data['prometheus.yml'] as string;
      const [rules] = parseAllDocuments(readFileSync(join(ROOT, 'mesh-config', 'overlays', 'local', 'observability', 'prometheus-rules.yaml'), 'utf8')).map((document) => document.toJS());
      writeFileSync(join(dir, 'rules.yaml'), rules.data['rules.yaml']);
      // Debian's Prometheus is built without Kubernetes service discovery: the pod discovery gives way
      // to a static target carrying the labels it would find, and everything else is checked as is.
      const parsed = parse(config) as { rule_files: string[]; scrape_configs: Record<string, unknown>[] };
      expect(parsed.scrape_configs[0].kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['ecowheels'] } }]);
      delete parsed.scrape_configs[0].kubernetes_sd_configs;
      parsed.scrape_configs[0].static_configs = [
        { targets: ['10.0.0.1:4101'], labels: { __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true', __meta_kubernetes_pod_annotation_prometheus_io_port: '4101', __meta_kubernetes_pod_label_app: 'user' } },
      ];
      parsed.rule_files = [join(dir, 'rules.yaml')];
      writeFileSync(join(dir, 'prometheus.yml'), stringify(parsed));
      const check = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect({ status: check.status, output: check.stdout + check.stderr }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
      // The rules it loads are the generated ones.
      expect(rules.data['rules.yaml']).toBe(readFileSync(join(ROOT, 'mesh-config', 'prometheus', 'rules.yaml'), 'utf8').replace(/^#.*\n/, ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forwards Jaeger, Prometheus and Grafana from the Tiltfile', () => {
    const tiltfile = readFileSync(join(ROOT, 'Tiltfile'), 'utf8');
    for (const [name, port] of [['jaeger', 16686], ['prometheus', 9090], ['grafana', 3000]] as const) {
      expect(tiltfile).toMatch(new RegExp(`k8s_resource\\('${name}',[^)]*port_forwards=\\['${port}:${port}'\\]`));
    }
  });
});
