// The Grafana dashboards, as code. `npm run mesh` writes each as a ConfigMap labelled
// `grafana_dashboard: "1"` (mesh-config/base/monitoring/dashboards.yaml), which Grafana's dashboard
// sidecar (kube-prometheus-stack's, or the local overlay's) loads into Grafana:
//   golden signals   each service's traffic, errors, latency and saturation
//   ride flow        how ride starts and ends finish, the steps behind them, the card processor
//   ingestion        per door: rate, rejects by rule, lag, backlog; the cleaner and the devices
//   net zero         the telematics processor's replicas over time, replica-hours, and its energy
//                    and CO2 by the net-zero model's factors (test/bench/netzero.ts)
// The queries use the same metric names as the alerts (alerts.ts); test/ops/dashboards.test.ts
// parses every one and checks that a running stack exports every metric they name.
//
// They are Grafana's classic dashboard JSON (the SDK's `dashboard` builders, which it marks
// deprecated in favour of `dashboardv2`): that is what the dashboard sidecar's file provisioning
// loads on every Grafana from 9 on, while the v2 schema needs Grafana 12's new dashboard API.
/* eslint-disable @typescript-eslint/no-deprecated */
import { DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, CustomVariableBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { DEFAULTS as NET_ZERO } from '../test/bench/netzero';
import { errorRatio, sloNamed } from './alerts';
import { RESOURCE_CLASSES, WORKLOAD_CLASSES } from './resources';
import { SERVICE_NAMES } from '../services/platform/src/service-names';

/** Every panel reads the Prometheus the dashboard's `datasource` variable names. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const RATE = '$__rate_interval';

interface Query {
  expr: string;
  legend?: string;
}

const target = (query: Query, index: number) =>
  new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto')
    .refId(String.fromCharCode(65 + index));

/** A time series panel: `width` of 24 columns. */
function series(title: string, description: string, unit: string, queries: Query[], width = 8) {
  const panel = new TimeSeriesPanel().title(title).description(description).unit(unit).datasource(DATASOURCE).span(width).height(8);
  queries.forEach((query, index) => panel.withTarget(target(query, index)));
  return panel;
}

/** A single figure (the last value, or the whole range's). */
function stat(title: string, description: string, unit: string, query: Query, width = 6) {
  return new StatPanel().title(title).description(description).unit(unit).datasource(DATASOURCE).span(width).height(5).withTarget(target(query, 0));
}

/** An SLO's good-event ratio over the dashboard's range, from its own SLI (the alerts' queries). */
const sloRatio = (name: string): Query => {
  const slo = sloNamed(name);
  return { expr: `1 - (${errorRatio(slo, '$__range')})`, legend: slo.title };
};

function dashboard(uid: string, title: string, description: string) {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['ecowheels', 'generated'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .timezone('utc')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
}

const GRPC_SERVICES = SERVICE_NAMES;

function goldenSignals(): Dashboard {
  return (
    dashboard('ecowheels-golden-signals', 'EcoWheels / Golden signals', 'Traffic, errors, latency and saturation of the gateway and of each gRPC service.')
      .withVariable(
        new CustomVariableBuilder('service')
          .label('Service')
          .values(GRPC_SERVICES.join(','))
          .multi(true)
          .includeAll(true)
          .current({ text: 'All', value: '$__all' }),
      )
      .withRow(new RowBuilder('Gateway (GraphQL, north-south)'))
      .withPanel(
        series('Requests by operation type', 'GraphQL operations answered per second.', 'reqps', [
          { expr: `sum by (graphql_operation_type) (rate(graphql_server_request_duration_count{job="gateway"}[${RATE}]))`, legend: '{{graphql_operation_type}}' },
        ]),
      )
      .withPanel(
        series('Errors by code', 'Operations that answered with an error, by extensions.code. Ours (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, TIMEOUT) spend the availability budget.', 'reqps', [
          { expr: `sum by (error_type) (rate(graphql_server_request_duration_count{job="gateway",error_type!=""}[${RATE}]))`, legend: '{{error_type}}' },
        ]),
      )
      .withPanel(
        series('Latency p50 and p99', 'Time to answer an operation at the gateway, by operation type.', 's', [
          { expr: `histogram_quantile(0.5, sum by (le, graphql_operation_type) (rate(graphql_server_request_duration_bucket{job="gateway"}[${RATE}])))`, legend: 'p50 {{graphql_operation_type}}' },
          { expr: `histogram_quantile(0.99, sum by (le, graphql_operation_type) (rate(graphql_server_request_duration_bucket{job="gateway"}[${RATE}])))`, legend: 'p99 {{graphql_operation_type}}' },
        ]),
      )
      .withPanel(stat('Availability over the range', 'The api_availability SLO (docs/slos.md): 99.9%.', 'percentunit', sloRatio('api_availability')))
      .withPanel(stat('Latency objective over the range', 'The api_latency SLO: queries within 0.5 s, mutations within 1 s, 99%.', 'percentunit', sloRatio('api_latency')))
      .withPanel(stat('GBFS freshness over the range', 'The gbfs_freshness SLO: files served with data at most 60 s old, 99.5%.', 'percentunit', sloRatio('gbfs_freshness')))
      .withPanel(
        stat('Mesh certificate, days left', 'The soonest expiry of a mesh certificate a workload uses (MeshCertificateExpiringSoon fires under 7 days).', 'd', {
          expr: 'min(min by (job, certificate) (mesh_certificate_expiry) - time()) / 86400',
        }),
      )
      .withRow(new RowBuilder('$service (gRPC, east-west)').repeat('service'))
      .withPanel(
        series('Calls by method', 'gRPC calls this service answered per second.', 'reqps', [
          { expr: `sum by (rpc_method) (rate(rpc_server_duration_count{job=~"$service"}[${RATE}]))`, legend: '{{rpc_method}}' },
        ], 6),
      )
      .withPanel(
        series('Errors by method and status', 'Calls answered with a status other than OK. A refusal for the caller\'s reason (FAILED_PRECONDITION, NOT_FOUND) is normal; UNAVAILABLE, INTERNAL and DEADLINE_EXCEEDED are ours.', 'reqps', [
          {
            expr: `sum by (rpc_method, rpc_grpc_status_code) (rate(rpc_server_duration_count{job=~"$service",rpc_grpc_status_code!="0"}[${RATE}]))`,
            legend: '{{rpc_method}} status {{rpc_grpc_status_code}}',
          },
        ], 6),
      )
      .withPanel(
        series('Latency p99 by method', 'Time to answer a call, in milliseconds (OpenTelemetry\'s rpc.server.duration).', 'ms', [
          { expr: `histogram_quantile(0.99, sum by (le, rpc_method) (rate(rpc_server_duration_bucket{job=~"$service"}[${RATE}])))`, legend: '{{rpc_method}}' },
        ], 6),
      )
      .withPanel(
        series('Database pool', 'Connections in use against the pool\'s size, and callers waiting for one (DatabasePoolSaturated fires when they wait at a full pool).', 'short', [
          { expr: 'sum by (pool_name) (db_client_connections_usage{job=~"$service",state="used"})', legend: 'used' },
          { expr: 'sum by (pool_name) (db_client_connections_max{job=~"$service"})', legend: 'size' },
          { expr: 'sum by (pool_name) (db_client_connections_pending_requests{job=~"$service"})', legend: 'waiting' },
        ], 6),
      )
      .build()
  );
}

function rideFlow(): Dashboard {
  return (
    dashboard('ecowheels-ride-flow', 'EcoWheels / Ride flow', 'How ride starts and ends finish, the steps behind them, and the card processor.')
      .withRow(new RowBuilder('Outcomes'))
      .withPanel(stat('Ride start success over the range', 'The ride_start_success SLO (99.5%): a start undone because of our fault counts as a failure, a refusal for the rider\'s reason does not.', 'percentunit', sloRatio('ride_start_success'), 8))
      .withPanel(
        stat('Starts undone by our fault, over the range', 'Sagas compensated (hold voided, bike released) because a service of ours failed.', 'short', {
          expr: 'sum(increase(ride_flow_outcomes_total{flow="start",outcome="failed"}[$__range]))',
        }, 8),
      )
      .withPanel(
        stat('Rides ended over the range', 'Ride ends that finished: fare charged, bike parked.', 'short', { expr: 'sum(increase(ride_flow_outcomes_total{flow="end",outcome="done"}[$__range]))' }, 8),
      )
      .withPanel(
        series('Flows by outcome', 'Ride starts and ends per second: done, refused (the rider or the fleet said no: no funds, bike taken) or failed (ours, compensated).', 'ops', [
          { expr: `sum by (flow, outcome) (rate(ride_flow_outcomes_total[${RATE}]))`, legend: '{{flow}} {{outcome}}' },
        ], 12),
      )
      .withPanel(
        series('Share of starts refused or failed', 'RideCompensationsAboveNormal fires above 20% over 15 minutes.', 'percentunit', [
          {
            expr: `sum(rate(ride_flow_outcomes_total{flow="start",outcome=~"refused|failed"}[${RATE}])) / sum(rate(ride_flow_outcomes_total{flow="start"}[${RATE}]))`,
            legend: 'refused or failed',
          },
        ], 12),
      )
      .withRow(new RowBuilder('The steps'))
      .withPanel(
        series('Each step\'s latency p99', 'The ride service\'s calls to user (verify rider), inventory (reserve, unlock, park) and payment (authorise, capture, void).', 'ms', [
          { expr: `histogram_quantile(0.99, sum by (le, rpc_method) (rate(rpc_client_duration_bucket{job="ride"}[${RATE}])))`, legend: '{{rpc_method}}' },
        ], 12),
      )
      .withPanel(
        series('Step failures by status', 'The ride service\'s calls that did not answer OK.', 'ops', [
          { expr: `sum by (rpc_method, rpc_grpc_status_code) (rate(rpc_client_duration_count{job="ride",rpc_grpc_status_code!="0"}[${RATE}]))`, legend: '{{rpc_method}} status {{rpc_grpc_status_code}}' },
        ], 12),
      )
      .withRow(new RowBuilder('The card processor'))
      .withPanel(
        series('Calls by operation and outcome', 'ok; refused (the card\'s answer); error (the processor failed: PaymentProviderErrors fires above 5%).', 'ops', [
          { expr: `sum by (provider, operation, outcome) (rate(payment_provider_calls_total[${RATE}]))`, legend: '{{provider}} {{operation}} {{outcome}}' },
        ], 24),
      )
      .build()
  );
}

function ingestion(): Dashboard {
  const decided = `sum(rate(telematics_readings_curated_total{filled="false"}[${RATE}])) + (sum(rate(telematics_readings_dropped_total[${RATE}])) or vector(0))`;
  return (
    dashboard('ecowheels-ingestion', 'EcoWheels / Telematics ingestion', 'The bikes\' readings through each door (MQTT, HTTPS, gRPC, landing files, the bus), the rules, the cleaner and its lag.')
      .withRow(new RowBuilder('Doors'))
      .withPanel(
        series('Received by door', 'Inputs received per second, by door.', 'ops', [{ expr: `sum by (door) (rate(telematics_readings_received_total[${RATE}]))`, legend: '{{door}}' }]),
      )
      .withPanel(
        series('Accepted and duplicates by door', 'Readings stored for the first time, and readings received again (counted once).', 'ops', [
          { expr: `sum by (door) (rate(telematics_readings_accepted_total[${RATE}]))`, legend: 'accepted {{door}}' },
          { expr: `sum by (door) (rate(telematics_readings_duplicate_total[${RATE}]))`, legend: 'duplicate {{door}}' },
        ]),
      )
      .withPanel(
        series('Rejected by door and rule', 'Inputs refused by a rule, each kept with its reason under rejects/.', 'ops', [
          { expr: `sum by (door, rule) (rate(telematics_readings_rejected_total[${RATE}]))`, legend: '{{door}} {{rule}}' },
        ]),
      )
      .withPanel(
        series('Refused devices by door and reason', 'Device logins and publishes refused: bad credentials, expired, revoked (TelematicsRefusedDeviceSpike).', 'ops', [
          { expr: `sum by (door, reason) (rate(telematics_devices_refused_total[${RATE}]))`, legend: '{{door}} {{reason}}' },
        ]),
      )
      .withPanel(
        series('Raw zone writes', 'Bytes appended to the raw zone per second: every input, as it arrived.', 'Bps', [{ expr: `sum(rate(telematics_raw_zone_bytes_total[${RATE}]))`, legend: 'raw zone' }]),
      )
      .withPanel(stat('Freshness over the range', 'The telematics_freshness SLO: 99% of readings curated within 60 s of being recorded.', 'percentunit', sloRatio('telematics_freshness'), 8))
      .withRow(new RowBuilder('Cleaning'))
      .withPanel(
        series('Lag p50 and p99', 'From a reading being recorded on the bike to its being curated (in the ride totals, the map and the warehouse).', 's', [
          { expr: `histogram_quantile(0.5, sum by (le) (rate(telematics_ingest_lag_bucket[${RATE}])))`, legend: 'p50' },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(telematics_ingest_lag_bucket[${RATE}])))`, legend: 'p99' },
        ]),
      )
      .withPanel(
        series('Backlog', 'On the bus: messages waiting in the processors\' durable consumer (KEDA scales on it). Everywhere: readings taken in per second minus readings the cleaner decided; above zero for long, the backlog grows (TelematicsIngestionStalled, TelematicsBacklogGrowing).', 'short', [
          { expr: 'sum(telematics_bus_consumer_pending)', legend: 'waiting on the bus' },
          { expr: `sum(rate(telematics_readings_accepted_total[${RATE}])) - (${decided})`, legend: 'growth per second' },
        ]),
      )
      .withPanel(
        series('Track rules', 'Readings the track rules kept out of the clean track (late, GPS jumps), points filled into gaps, and flags.', 'ops', [
          { expr: `sum by (rule) (rate(telematics_readings_dropped_total[${RATE}]))`, legend: 'dropped {{rule}}' },
          { expr: `sum by (filled) (rate(telematics_readings_curated_total[${RATE}]))`, legend: 'curated, filled={{filled}}' },
          { expr: `sum by (flag) (rate(telematics_readings_flagged_total[${RATE}]))`, legend: 'flagged {{flag}}' },
        ]),
      )
      .withPanel(
        series('Cleaner leases', 'Shards taken over after a lease ran out, batches fenced off at commit, shards handed over (TelematicsCleanerInstability).', 'short', [
          { expr: `sum(increase(telematics_cleaner_lease_takeovers_total[${RATE}]))`, legend: 'takeovers' },
          { expr: `sum(increase(telematics_cleaner_fenced_commits_total[${RATE}]))`, legend: 'fenced commits' },
          { expr: `sum by (reason) (increase(telematics_cleaner_shard_handovers_total[${RATE}]))`, legend: 'handovers {{reason}}' },
        ], 12),
      )
      .withPanel(
        series('Devices provisioned and revoked', 'Device credentials issued (new or rotated) and revoked.', 'short', [
          { expr: `sum by (rotate) (increase(telematics_devices_provisioned_total[${RATE}]))`, legend: 'provisioned, rotate={{rotate}}' },
          { expr: `sum(increase(telematics_devices_revoked_total[${RATE}]))`, legend: 'revoked' },
        ], 12),
      )
      .build()
  );
}

/**
 * The processor's power as the net-zero model has it: per replica, its vCPU request at idle watts
 * plus its utilisation times the span to full watts, and its memory request, times the PUE. Its
 * utilisation is the readings it took in over what a replica can take (the model's measured figure).
 */
function netZeroFactors() {
  const resources = RESOURCE_CLASSES[WORKLOAD_CLASSES['telematics-processor']].requests;
  const vcpu = Number.parseFloat(resources.cpu) / (resources.cpu.endsWith('m') ? 1000 : 1);
  const gb = Number.parseFloat(resources.memory) / (resources.memory.endsWith('Mi') ? 1024 : 1);
  const factor = (name: keyof typeof NET_ZERO) => NET_ZERO[name].value;
  return {
    idleWattsPerReplica: (vcpu * factor('wattsPerVcpuIdle') + gb * factor('wattsPerGb')) * factor('pue'),
    loadWattsPerReplica: vcpu * (factor('wattsPerVcpuFull') - factor('wattsPerVcpuIdle')) * factor('pue'),
    capacity: factor('processorReadingsPerSecond'),
    gramsPerKwh: factor('gridGramsPerKwh'),
  };
}

function netZero(): Dashboard {
  const f = netZeroFactors();
  const round = (value: number) => Number(value.toPrecision(6));
  // A replica is a processor Prometheus scrapes; none (scaled to zero) is 0, not "no data".
  const replicas = 'count(up{job=~"$processor"} == 1) or vector(0)';
  const taken = `sum(rate(telematics_readings_received_total{job=~"$processor"}[${RATE}])) or vector(0)`;
  const watts = `${round(f.idleWattsPerReplica)} * (${replicas}) + ${round(f.loadWattsPerReplica)} * clamp_max((${taken}) / ${f.capacity}, scalar(${replicas}))`;
  return (
    dashboard('ecowheels-net-zero', 'EcoWheels / Net zero', `The telematics processor scales from zero on its backlog (KEDA). Power by the net-zero model (npm run netzero): ${round(f.idleWattsPerReplica)} W per idle replica, ${round(f.loadWattsPerReplica)} W more at full load (${f.capacity} readings/s), ${f.gramsPerKwh} g CO2e per kWh.`)
      .withVariable(
        new CustomVariableBuilder('processor')
          .label('Processor job')
          .description('telematics-processor in production; telematics where one workload takes the doors and cleans (the local overlay).')
          .values('telematics-processor,telematics')
          .current({ text: 'telematics-processor', value: 'telematics-processor' }),
      )
      .withRow(new RowBuilder('Replicas'))
      .withPanel(series('Processor replicas', 'Processors up and scraped: 0 when the stream is drained and KEDA scaled to zero.', 'short', [{ expr: replicas, legend: 'replicas' }], 12))
      .withPanel(
        series('Readings taken in against capacity', 'What the processors took in, and what the running replicas could take.', 'ops', [
          { expr: taken, legend: 'taken in' },
          { expr: `(${replicas}) * ${f.capacity}`, legend: 'capacity' },
        ], 12),
      )
      .withRow(new RowBuilder('Over the range'))
      .withPanel(stat('Replica-hours', 'Processor replicas integrated over the dashboard\'s range.', 'h', { expr: `sum_over_time((${replicas})[$__range:1m]) / 60` }, 8))
      .withPanel(stat('Energy', 'The processors\' power by the net-zero model, integrated over the range.', 'watth', { expr: `sum_over_time((${watts})[$__range:1m]) / 60` }, 8))
      .withPanel(stat('CO2e', 'That energy at the grid\'s intensity.', 'massg', { expr: `sum_over_time((${watts})[$__range:1m]) / 60 / 1000 * ${f.gramsPerKwh}` }, 8))
      .withPanel(series('Power', 'The processors\' power now, by the same model.', 'watt', [{ expr: watts, legend: 'power' }], 24))
      .build()
  );
}

export const DASHBOARDS: Record<string, () => Dashboard> = {
  'golden-signals': goldenSignals,
  'ride-flow': rideFlow,
  ingestion,
  'net-zero': netZero,
};

/** Each dashboard as a ConfigMap that Grafana's dashboard sidecar loads (label grafana_dashboard: "1"). */
export function dashboardConfigMaps(): object[] {
  return Object.entries(DASHBOARDS).map(([name, build]) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `dashboard-${name}`, labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'EcoWheels' } },
    data: { [`${name}.json`]: `${JSON.stringify(build(), null, 2)}\n` },
  }));
}

/** Every PromQL expression of every panel, with where it is. */
export function dashboardQueries(): { dashboard: string; panel: string; expr: string }[] {
  return Object.entries(DASHBOARDS).flatMap(([name, build]) =>
    (build().panels ?? []).flatMap((panel) =>
      'targets' in panel ? (panel.targets ?? []).map((query) => ({ dashboard: name, panel: panel.title ?? '', expr: (query as unknown as { expr: string }).expr })) : [],
    ),
  );
}
