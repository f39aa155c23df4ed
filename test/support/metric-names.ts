// The metric names that dashboards and alert rules read, and the names a running process exports,
// so a test can hold the one to the other: a panel or an alert on a metric nobody exports shows
// "no data" or never fires, and nothing else would say so.
import { parser } from '@prometheus-io/lezer-promql';
import { dashboardQueries } from '../../mesh-config/dashboards';
import { ruleGroups } from '../../mesh-config/alerts';
import { analysisTemplates } from '../../mesh-config/progressive-delivery';

/** Series that no EcoWheels process exports, each with who does. */
export const EXPORTED_ELSEWHERE: Record<string, string> = {
  up: 'Prometheus itself, for every target it scrapes',
  kube_pod_container_status_restarts_total: 'kube-state-metrics, in a Kubernetes cluster',
};

/** Exported only by telematics on the production bus (NATS JetStream): test/telematics/nats-jetstream.test.ts checks them. */
export const EXPORTED_ON_THE_BUS = ['telematics_bus_consumer_pending'];

/** Grafana's variables, replaced by values of their kind so that the query parses as Prometheus would get it. */
export const withoutGrafanaVariables = (expr: string) =>
  expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '6h')
    .replace(/\$\{?(\w+)\}?/g, 'x');

/** The metric names an expression selects, and its syntax errors (positions), if any. */
export function parsePromql(expr: string): { metrics: string[]; errors: number[] } {
  const metrics = new Set<string>();
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.add(expr.slice(node.from, node.to));
    },
  });
  return { metrics: [...metrics], errors };
}

/** Every metric the dashboards' panels, the alert rules and the canaries' analysis read, and where each is read. */
export function metricsRead(): Map<string, string[]> {
  const recorded = new Set<string>();
  const read = new Map<string, string[]>();
  const note = (expr: string, where: string) => {
    for (const name of parsePromql(withoutGrafanaVariables(expr)).metrics) read.set(name, [...(read.get(name) ?? []), where]);
  };
  for (const { dashboard, panel, expr } of dashboardQueries()) note(expr, `dashboard ${dashboard}: ${panel}`);
  for (const group of ruleGroups() as { rules: { record?: string; alert?: string; expr: string }[] }[]) {
    for (const rule of group.rules) {
      if (rule.record) recorded.add(rule.record);
      note(rule.expr, rule.alert ? `alert ${rule.alert}` : `rule ${rule.record}`);
    }
  }
  for (const template of analysisTemplates() as { metadata: { name: string }; spec: { metrics: { name: string; provider: { prometheus: { query: string } } }[] } }[]) {
    for (const metric of template.spec.metrics) note(metric.provider.prometheus.query.replace(/\{\{args\.[\w-]+\}\}/g, 'x'), `canary analysis ${template.metadata.name}: ${metric.name}`);
  }
  for (const name of recorded) read.delete(name);
  return read;
}

/** The metric names in a Prometheus text exposition (a histogram's _bucket, _sum and _count each). */
export const exportedNames = (exposition: string): Set<string> =>
  new Set(exposition.split('\n').flatMap((line) => (line.startsWith('#') || !line.trim() ? [] : [/^[a-zA-Z_:][\w:]*/.exec(line)![0]])));
