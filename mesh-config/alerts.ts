// The service-level objectives and the alerts, in one place. `npm run mesh` writes from here:
//   mesh-config/prometheus/rules.yaml            recording and alerting rules for a bare Prometheus
//   mesh-config/prometheus/rules.test.yaml       promtool unit tests: each alert fires on one series
//                                                and stays quiet on another
//   mesh-config/base/monitoring/prometheus-rule.yaml   the same groups as a PrometheusRule
//   docs/runbooks/*.md                           a runbook per alert, linked from the alert
// docs/slos.md explains the objectives and their SLIs. Metric names are the Prometheus names of
// what the services export (OpenTelemetry's, dots as underscores, counters with _total).

/** A window of the multi-window, multi-burn-rate alerts (Google's SRE workbook, chapter 5). */
const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
type Window = (typeof WINDOWS)[number];

/** The fastest burn rate that pages: 2% of a 30-day budget in an hour (canaries are judged by it too). */
export const FAST_BURN = 14.4;

/** Page: 2% of a 30-day budget in an hour, or 5% in six; ticket: 10% in a day, or all of it in three. */
const BURN_RATES: { name: 'Fast' | 'Slow'; severity: 'page' | 'ticket'; pairs: { long: Window; short: Window; factor: number }[] }[] = [
  { name: 'Fast', severity: 'page', pairs: [{ long: '1h', short: '5m', factor: FAST_BURN }, { long: '6h', short: '30m', factor: 6 }] },
  { name: 'Slow', severity: 'ticket', pairs: [{ long: '1d', short: '2h', factor: 3 }, { long: '3d', short: '6h', factor: 1 }] },
];

export interface Runbook {
  /** What the alert means, in a sentence or two. */
  meaning: string;
  /** The first three things to look at: queries, trace searches, logs. */
  look: [string, string, string];
  /** How to mitigate. */
  mitigate: string;
}

export interface Slo {
  name: string;
  title: string;
  /** The fraction of good events the objective asks for, over 30 days. */
  objective: number;
  /** Bad and all events per second over a window ($w), each a PromQL expression. */
  bad: string;
  total: string;
  /** Labels the SLI keeps apart (an objective per value), or none. */
  by: string[];
  runbook: Runbook;
  /** promtool input: the series of `total` and `bad` events at the given rates per minute. */
  series(badPerMinute: number, goodPerMinute: number): { series: string; values: string }[];
}

export interface SymptomAlert {
  name: string;
  expr: string;
  for: string;
  severity: 'page' | 'ticket' | 'info';
  summary: string;
  runbook: Runbook;
  /** promtool: series over which it fires at `at`, and over which it stays quiet. */
  test: { at: string; fires: { series: string; values: string }[]; quiet: { series: string; values: string }[]; labels: Record<string, string> };
}

const w = (expr: string, window: string) => expr.replaceAll('$w', window);

/** An SLO's bad and all events per second over `window` (a PromQL duration, or a Grafana variable such as $__range). */
export const sliOver = (slo: Slo, window: string) => ({ bad: w(slo.bad, window), total: w(slo.total, window) });

/** An SLO's error ratio over `window`: bad events over all events. */
export const errorRatio = (slo: Slo, window: string) => `(${w(slo.bad, window)}) / (${w(slo.total, window)})`;
const counter = (perMinute: number, minutes = 4400) => `0+${perMinute}x${minutes}`;

/** promtool input for a histogram SLI: every event counted, the good ones in the `le` bucket. */
const withinBucket =
  (histogram: string, labels: string, le: string): Slo['series'] =>
  (bad, good) => [
    { series: `${histogram}_count{${labels}}`, values: counter(bad + good) },
    { series: `${histogram}_bucket{${labels},le="${le}"}`, values: counter(good) },
  ];

export const SLOS: Slo[] = [
  {
    name: 'api_availability',
    title: 'API availability at the gateway, per operation type',
    objective: 0.999,
    bad: 'sum by (graphql_operation_type) (rate(graphql_server_request_duration_count{job="gateway",error_type=~"INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE|TIMEOUT"}[$w]))',
    total: 'sum by (graphql_operation_type) (rate(graphql_server_request_duration_count{job="gateway"}[$w]))',
    by: ['graphql_operation_type'],
    runbook: {
      meaning: 'GraphQL operations at the gateway fail on our side (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, TIMEOUT) faster than the 99.9% objective allows. Riders see errors in the app.',
      look: [
        'Which operations and codes: `topk(5, sum by (graphql_operation_name, error_type) (rate(graphql_server_request_duration_count{job="gateway",error_type!=""}[5m])))`.',
        'Which subgraph or service behind them: `sum by (job, rpc_method, rpc_grpc_status_code) (rate(rpc_server_duration_count{rpc_grpc_status_code!="0"}[5m]))`, and in Jaeger, service `gateway`, tag `error=true`.',
        'The gateway\'s and the failing service\'s logs at `level>=50` (pino error) for the same minutes.',
      ],
      mitigate: 'Roll back the last deployment of the failing service (see docs/delivery.md); if a dependency is down (PostgreSQL, Redis, the card processor), follow its runbook. The gateway degrades per subgraph: the rest of the API keeps answering.',
    },
    series: (bad, good) => [
      { series: 'graphql_server_request_duration_count{job="gateway",graphql_operation_type="mutation",error_type="INTERNAL_SERVER_ERROR"}', values: counter(bad) },
      { series: 'graphql_server_request_duration_count{job="gateway",graphql_operation_type="mutation"}', values: counter(good) },
    ],
  },
  {
    name: 'api_latency',
    title: 'API latency at the gateway: queries within 0.5 s, mutations within 1 s',
    objective: 0.99,
    bad:
      'sum by (graphql_operation_type) (rate(graphql_server_request_duration_count{job="gateway"}[$w])) - (sum by (graphql_operation_type) (rate(graphql_server_request_duration_bucket{job="gateway",graphql_operation_type="query",le="0.5"}[$w])) or sum by (graphql_operation_type) (rate(graphql_server_request_duration_bucket{job="gateway",graphql_operation_type!="query",le="1"}[$w])))',
    total: 'sum by (graphql_operation_type) (rate(graphql_server_request_duration_count{job="gateway"}[$w]))',
    by: ['graphql_operation_type'],
    runbook: {
      meaning: 'More than 1% of GraphQL queries take over 0.5 s, or of mutations over 1 s, at the gateway.',
      look: [
        'The slow operations: `histogram_quantile(0.99, sum by (le, graphql_operation_name) (rate(graphql_server_request_duration_bucket{job="gateway"}[5m])))`.',
        'Slow gRPC methods behind them: `histogram_quantile(0.99, sum by (le, job, rpc_method) (rate(rpc_server_duration_bucket[5m])))`; in Jaeger, the gateway\'s traces over 1 s.',
        'Database pool waits: `db_client_connections_pending_requests`, and PostgreSQL\'s own slow-query log.',
      ],
      mitigate: 'Scale out the slow service (its HPA may be at its maximum); roll back a release that added a slow query; shed load with the gateway\'s rate limits if a client misbehaves.',
    },
    series: withinBucket('graphql_server_request_duration', 'job="gateway",graphql_operation_type="query"', '0.5'),
  },
  {
    name: 'ride_start_success',
    title: 'Ride starts that succeed, a start undone because of our fault counting as a failure',
    objective: 0.995,
    bad: 'sum(rate(ride_flow_outcomes_total{flow="start",outcome="failed"}[$w]))',
    total: 'sum(rate(ride_flow_outcomes_total{flow="start",outcome=~"done|failed"}[$w]))',
    by: [],
    runbook: {
      meaning: 'Ride starts are undone (the saga compensated: hold voided, bike released) because a service of ours failed, more often than 0.5%. A refusal for the rider\'s reason (no funds, bike taken) does not count.',
      look: [
        'Which step fails: in Jaeger, service `ride`, operation `ride.start`, tag `error=true`; the failing child span names the step (verify_rider, reserve_bike, authorize_payment, unlock_bike).',
        'The services behind it: `sum by (job, rpc_method, rpc_grpc_status_code) (rate(rpc_client_duration_count{job="ride",rpc_grpc_status_code!="0"}[5m]))`.',
        'The ride service\'s log: `ride start undone` and `undoing a failed ride start did not finish` lines.',
      ],
      mitigate: 'Restore the failing dependency (payment: see payment-provider-errors; inventory); rides left CANCELLING are finished by the recovery loop on its own. Roll back the last ride, payment or inventory release if it started then.',
    },
    series: (bad, good) => [
      { series: 'ride_flow_outcomes_total{job="ride",flow="start",outcome="failed"}', values: counter(bad) },
      { series: 'ride_flow_outcomes_total{job="ride",flow="start",outcome="done"}', values: counter(good) },
    ],
  },
  {
    name: 'telematics_freshness',
    title: 'Telematics readings queryable (curated) within 60 s of being recorded',
    objective: 0.99,
    bad: 'sum(rate(telematics_ingest_lag_count[$w])) - sum(rate(telematics_ingest_lag_bucket{le="60"}[$w]))',
    total: 'sum(rate(telematics_ingest_lag_count[$w]))',
    by: [],
    runbook: {
      meaning: 'More than 1% of readings reach the curated zone (and the ride totals, the map, the fleet figures) over 60 s after the bike recorded them.',
      look: [
        'The backlog: `telematics_bus_consumer_pending` (production stream) and the processors\' replicas (KEDA).',
        'The cleaner: `increase(telematics_cleaner_lease_takeovers_total[15m])`, `increase(telematics_cleaner_fenced_commits_total[15m])`, and the processors\' `cleaning batch failed` log lines.',
        'Bikes\' clocks: a late-arriving fleet (a carrier outage) shows as lag too: `sum by (door) (rate(telematics_readings_received_total[5m]))` dropping, then a burst.',
      ],
      mitigate: 'Scale the processors out (KEDA maxReplicaCount) if the backlog grows; if the cleaner is unstable, see cleaner-instability; if bikes were offline, the lag drains by itself.',
    },
    series: withinBucket('telematics_ingest_lag', 'job="telematics"', '60'),
  },
  {
    name: 'gbfs_freshness',
    title: 'GBFS files served with data at most 60 s old, and the feed answering',
    objective: 0.995,
    bad: '(sum(rate(gbfs_feed_age_count[$w])) - sum(rate(gbfs_feed_age_bucket{le="60"}[$w]))) + (sum(rate(gbfs_feed_unavailable_total[$w])) or vector(0))',
    total: 'sum(rate(gbfs_feed_age_count[$w])) + (sum(rate(gbfs_feed_unavailable_total[$w])) or vector(0))',
    by: [],
    runbook: {
      meaning: 'Trip planners and cities read the public GBFS feed with stale data, or get 503: the gateway could not read inventory.',
      look: [
        '`sum(rate(gbfs_feed_unavailable_total[5m]))` and the gateway\'s `GBFS feed: a source is unavailable` log lines.',
        'Inventory\'s health: `up{job="inventory"}`, `rpc_server_duration_count{job="inventory",rpc_grpc_status_code!="0"}`.',
        '`histogram_quantile(0.99, sum by (le, file) (rate(gbfs_feed_age_bucket[5m])))`: which files are old.',
      ],
      mitigate: 'Restore inventory; the feed rebuilds at its next refresh. GATEWAY_GBFS_REFRESH_SECONDS sets how old a snapshot may get.',
    },
    series: withinBucket('gbfs_feed_age', 'job="gateway",file="vehicle_status"', '60'),
  },
];

/** The SLO of that name. */
export function sloNamed(name: string): Slo {
  const slo = SLOS.find((candidate) => candidate.name === name);
  if (!slo) throw new Error(`no SLO named ${name} in alerts.ts`);
  return slo;
}

const series = (name: string, values: string) => ({ series: name, values });

export const SYMPTOMS: SymptomAlert[] = [
  {
    name: 'TargetDown',
    expr: 'up{job=~"gateway|user|inventory|payment|ride|telematics"} == 0',
    for: '2m',
    severity: 'page',
    summary: 'A service instance does not answer its metrics scrape',
    runbook: {
      meaning: 'Prometheus cannot scrape an instance: the process is down, restarting, or cut off.',
      look: ['`up == 0` with its `instance`; `changes(up[15m])` for flapping.', 'Kubernetes: `kubectl -n ecowheels get pods` and the pod\'s events; locally, the launcher\'s "stopped unexpectedly" lines.', 'The process\'s last log lines before it stopped (an exit code 78 is a configuration refused at start).'],
      mitigate: 'Fix the configuration it refused, or roll back the release; the other replicas and the mesh\'s retries carry the load meanwhile.',
    },
    test: { at: '5m', fires: [series('up{job="ride",instance="ride:9464"}', '0x10')], quiet: [series('up{job="ride",instance="ride:9464"}', '1x10')], labels: { job: 'ride', instance: 'ride:9464' } },
  },
  {
    name: 'ProcessRestarting',
    expr: 'changes(up{job=~"gateway|user|inventory|payment|ride|telematics"}[15m]) >= 4 or increase(kube_pod_container_status_restarts_total{namespace="ecowheels"}[15m]) > 2',
    for: '0m',
    severity: 'ticket',
    summary: 'A service keeps restarting (supervision or Kubernetes)',
    runbook: {
      meaning: 'A process went down and came back several times in 15 minutes: a crash loop, an OOM kill, or a probe that fails.',
      look: ['`kube_pod_container_status_last_terminated_reason` (OOMKilled, Error) or the launcher\'s restart lines.', 'The last lines the process logged before each exit.', 'Memory: the pod\'s working set against its limit (docs/mesh.md has each class\'s requests and limits).'],
      mitigate: 'Roll back a release that started it; raise the memory class if it is OOM; a dependency that is down makes a service refuse to start (its runbook first).',
    },
    test: { at: '15m', fires: [series('up{job="payment",instance="payment:9464"}', '1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0')], quiet: [series('up{job="payment",instance="payment:9464"}', '1x15')], labels: { job: 'payment', instance: 'payment:9464' } },
  },
  {
    name: 'TelematicsIngestionStalled',
    expr: 'sum(rate(telematics_readings_accepted_total[10m])) > 0 and sum(rate(telematics_readings_curated_total{filled="false"}[10m])) == 0',
    for: '10m',
    severity: 'page',
    summary: 'Readings are acknowledged and stored, but none is curated',
    runbook: {
      meaning: 'Bikes\' readings are taken in (acknowledged, durable) but no cleaner commits: ride totals, the map and the fleet figures stop moving. Nothing is lost; it all waits in the database.',
      look: ['The cleaner\'s log: `cleaning batch failed` and `fenced off` lines; `telematics_cleaner_fenced_commits_total`.', 'The curated zone: is the bucket writable (S3 errors in the log)? Is the database full?', 'The leases: `SELECT * FROM cleaner_shards` (holders and until) in the telematics database.'],
      mitigate: 'Fix what the cleaner logs (bucket credentials, disk); restart the processors if a lease holder hangs: its shards pass to another within 5 s.',
    },
    test: {
      at: '25m',
      fires: [series('telematics_readings_accepted_total{job="telematics",door="mqtt"}', counter(100, 30)), series('telematics_readings_curated_total{job="telematics",filled="false"}', '0x30')],
      quiet: [series('telematics_readings_accepted_total{job="telematics",door="mqtt"}', counter(100, 30)), series('telematics_readings_curated_total{job="telematics",filled="false"}', counter(100, 30))],
      labels: {},
    },
  },
  {
    name: 'TelematicsBacklogGrowing',
    expr: 'sum(telematics_bus_consumer_pending) > 10000 and sum(deriv(telematics_bus_consumer_pending[15m])) > 0',
    for: '15m',
    severity: 'ticket',
    summary: 'The JetStream backlog of readings keeps growing',
    runbook: {
      meaning: 'More readings arrive on the stream than the processors take in, for 15 minutes: KEDA is at its maximum, or the processors fail.',
      look: ['`telematics_bus_consumer_pending` and the processors\' replica count against the ScaledObject\'s maxReplicaCount.', 'The processors\' log: storage or database errors.', '`sum by (door) (rate(telematics_readings_received_total[5m]))`: a burst (a fleet back online) or a steady rise.'],
      mitigate: 'Raise maxReplicaCount (and the cleaner shards with it, see docs/telematics.md); the stream keeps every reading meanwhile, up to its limits.',
    },
    test: {
      at: '40m',
      fires: [series('telematics_bus_consumer_pending{job="telematics"}', '20000+500x60')],
      quiet: [series('telematics_bus_consumer_pending{job="telematics"}', '20000-300x60')],
      labels: {},
    },
  },
  {
    name: 'TelematicsCleanerInstability',
    expr: 'sum(increase(telematics_cleaner_lease_takeovers_total[15m])) > 3 or sum(increase(telematics_cleaner_fenced_commits_total[15m])) > 0',
    for: '0m',
    severity: 'ticket',
    summary: 'Cleaning shards are taken over, or batches fenced off',
    runbook: {
      meaning: 'Processors lose their cleaning leases: one died, or stalled past its 5 s lease (a long GC pause, a starved CPU), and another took its shards over. A fenced commit means a stalled holder\'s batch was refused: nothing was counted twice, but the processors are unhealthy.',
      look: ['`sum by (shard) (increase(telematics_cleaner_lease_takeovers_total[15m]))` and the `took over a cleaning shard` log lines (they name the previous holder).', 'The previous holder\'s CPU throttling and restarts.', '`telematics_cleaner_shard_handovers_total` by reason: `released` is normal scaling, `expired` is trouble.'],
      mitigate: 'Give the processors CPU (their class in docs/mesh.md), or fewer shards each (more replicas); a steady stream of takeovers with no restarts points at event-loop stalls: profile a processor.',
    },
    test: {
      at: '10m',
      fires: [series('telematics_cleaner_fenced_commits_total{job="telematics",shard="3"}', '0 0 0 1 1 1 1 1 1 1 1')],
      quiet: [series('telematics_cleaner_fenced_commits_total{job="telematics",shard="3"}', '0x10'), series('telematics_cleaner_lease_takeovers_total{job="telematics",shard="3"}', '0 1 1 1 1 1 1 1 1 1 1')],
      labels: {},
    },
  },
  {
    name: 'TelematicsRefusedDeviceSpike',
    // A reason new this hour compares with zero (the `or … * 0`), so it counts as a spike too.
    expr: 'sum by (door, reason) (rate(telematics_devices_refused_total[5m])) > 1 and sum by (door, reason) (rate(telematics_devices_refused_total[5m])) > 5 * (sum by (door, reason) (rate(telematics_devices_refused_total[1h] offset 1h)) or 0 * sum by (door, reason) (rate(telematics_devices_refused_total[5m])))',
    for: '10m',
    severity: 'ticket',
    summary: 'Many more device connections or publishes are refused than an hour ago',
    runbook: {
      meaning: 'A door refuses devices at five times the rate of the hour before: a credential rollout gone wrong, a revoked batch still sending, or someone trying keys, topics or sockets.',
      look: ['`sum by (door, reason) (rate(telematics_devices_refused_total[5m]))`: bad_credentials, expired, revoked, other_topic, packet_too_large, per_address, slow_body.', 'The warn lines of the door (they name the bike or the address).', '`telematics_devices_revoked_total` and `telematics_devices_provisioned_total` for a rotation in progress.'],
      mitigate: 'A rollout: re-provision the bikes that kept old keys. An attack: the per-address caps hold; block the addresses at the edge; revoke a leaked bike credential (RevokeDevice).',
    },
    test: {
      at: '80m',
      fires: [series('telematics_devices_refused_total{job="telematics",door="mqtt",reason="bad_credentials"}', '0+1x60 60+300x30')],
      quiet: [series('telematics_devices_refused_total{job="telematics",door="mqtt",reason="bad_credentials"}', '0+60x90')],
      labels: { door: 'mqtt', reason: 'bad_credentials' },
    },
  },
  {
    name: 'RideCompensationsAboveNormal',
    expr: 'sum(rate(ride_flow_outcomes_total{flow="start",outcome=~"refused|failed"}[15m])) / sum(rate(ride_flow_outcomes_total{flow="start"}[15m])) > 0.2 and sum(rate(ride_flow_outcomes_total{flow="start"}[15m])) > 0.05',
    for: '15m',
    severity: 'ticket',
    summary: 'More than one ride start in five is undone (the saga compensates)',
    runbook: {
      meaning: 'Starts are undone (hold voided, bike released) far more often than usual, for any reason: our faults (see ride-start-success) or refusals (cards declined, bikes taken twice).',
      look: ['`sum by (outcome) (rate(ride_flow_outcomes_total{flow="start"}[15m]))`.', 'The ride log\'s `ride start undone` lines: their `reason`.', 'Payment: `sum by (outcome) (rate(payment_provider_calls_total{operation="hold"}[15m]))` (declines), inventory: reservations refused.'],
      mitigate: 'Refusals from declines: check the card processor\'s status; from bikes taken: the map may show stale availability (see gbfs-freshness and telematics-freshness).',
    },
    test: {
      at: '30m',
      fires: [series('ride_flow_outcomes_total{job="ride",flow="start",outcome="done"}', counter(10, 40)), series('ride_flow_outcomes_total{job="ride",flow="start",outcome="refused"}', counter(5, 40))],
      quiet: [series('ride_flow_outcomes_total{job="ride",flow="start",outcome="done"}', counter(10, 40)), series('ride_flow_outcomes_total{job="ride",flow="start",outcome="refused"}', counter(1, 40))],
      labels: {},
    },
  },
  {
    name: 'PaymentProviderErrors',
    expr: 'sum by (provider) (rate(payment_provider_calls_total{outcome="error"}[5m])) / sum by (provider) (rate(payment_provider_calls_total[5m])) > 0.05',
    for: '5m',
    severity: 'page',
    summary: 'The card processor fails more than 5% of calls',
    runbook: {
      meaning: 'Holds, captures or releases fail on the processor\'s side (5xx, timeouts): top-ups fail and ride starts are undone; ends wait and finish by themselves once it is back.',
      look: ['`sum by (operation, outcome) (rate(payment_provider_calls_total[5m]))`.', 'The processor\'s status page, and the payment log\'s UNAVAILABLE lines (Stripe\'s request ids are in them).', 'Jaeger: service `payment`, spans to the processor with `error=true`.'],
      mitigate: 'Nothing to fix on our side when the processor is down: captures and releases retry with their idempotency keys. Tell riders in the app if it lasts.',
    },
    test: {
      at: '15m',
      fires: [series('payment_provider_calls_total{job="payment",provider="stripe",operation="hold",outcome="ok"}', counter(10, 20)), series('payment_provider_calls_total{job="payment",provider="stripe",operation="hold",outcome="error"}', counter(5, 20))],
      quiet: [series('payment_provider_calls_total{job="payment",provider="stripe",operation="hold",outcome="ok"}', counter(10, 20)), series('payment_provider_calls_total{job="payment",provider="stripe",operation="hold",outcome="refused"}', counter(5, 20))],
      labels: { provider: 'stripe' },
    },
  },
  {
    name: 'DatabasePoolSaturated',
    expr: 'max by (job, instance, pool_name) (db_client_connections_pending_requests) > 0 and max by (job, instance, pool_name) (db_client_connections_usage{state="used"}) >= max by (job, instance, pool_name) (db_client_connections_max)',
    for: '5m',
    severity: 'ticket',
    summary: 'Every connection of a service\'s database pool is busy and queries wait',
    runbook: {
      meaning: 'A service uses all its PostgreSQL connections and queries queue behind them: latency rises everywhere in that service.',
      look: ['`db_client_connections_pending_requests` by job and instance.', 'PostgreSQL: `SELECT state, wait_event, query FROM pg_stat_activity WHERE datname = \'<service>\'` for long queries or locks.', 'Slow spans in Jaeger: `postgres` spans over 100 ms.'],
      mitigate: 'Kill a runaway query; add replicas only if the database has connections to spare (the pool is 10 per process); fix the slow query in a release.',
    },
    test: {
      at: '10m',
      fires: [series('db_client_connections_pending_requests{job="ride",instance="ride:9464",pool_name="ride"}', '3x15'), series('db_client_connections_usage{job="ride",instance="ride:9464",pool_name="ride",state="used"}', '10x15'), series('db_client_connections_max{job="ride",instance="ride:9464",pool_name="ride"}', '10x15')],
      quiet: [series('db_client_connections_pending_requests{job="ride",instance="ride:9464",pool_name="ride"}', '0x15'), series('db_client_connections_usage{job="ride",instance="ride:9464",pool_name="ride",state="used"}', '4x15'), series('db_client_connections_max{job="ride",instance="ride:9464",pool_name="ride"}', '10x15')],
      labels: { job: 'ride', instance: 'ride:9464', pool_name: 'ride' },
    },
  },
  {
    name: 'MeshCertificateExpiringSoon',
    expr: 'min by (job, identity, certificate) (mesh_certificate_expiry) - time() < 7 * 86400',
    for: '10m',
    severity: 'ticket',
    summary: 'A mesh certificate expires within a week',
    runbook: {
      meaning: 'A workload\'s certificate, or the CA that signs them, stops being valid within seven days: calls between services will fail then. (Under Istio, istiod rotates workload certificates; this watches the local mesh\'s and the CA.)',
      look: ['`(mesh_certificate_expiry - time()) / 86400` by identity and certificate.', '`npm run certs` output and MESH_CERTS_DIR\'s files (local mode).', 'Under Istio: `istioctl proxy-config secret` for the workload.'],
      mitigate: 'Issue new certificates (`npm run certs`, or rotate Istio\'s root) and restart the workloads to load them.',
    },
    test: {
      at: '20m',
      fires: [series('mesh_certificate_expiry{job="user",identity="user",certificate="ca"}', '86400x30')],
      quiet: [series('mesh_certificate_expiry{job="user",identity="user",certificate="ca"}', '4102444800x30')],
      labels: { job: 'user', identity: 'user', certificate: 'ca' },
    },
  },
];

/** A runbook's page (docs/runbooks/<slug>.md), as the alert's runbook_url links it. */
export const runbookSlug = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
export const RUNBOOK_BASE = 'https://github.com/ecowheels/platform/blob/main/docs/runbooks';

const sloAlertName = (slo: Slo, rate: 'Fast' | 'Slow') =>
  `Slo${slo.name.replace(/(^|_)([a-z])/g, (_match, _sep, letter: string) => letter.toUpperCase())}BurnRate${rate}`;

/** A burn-rate alert's annotations; `group` is the templated (or, for a test, expanded) label it is per. */
function sloAnnotations(slo: Slo, rate: 'Fast' | 'Slow', group: string | undefined): Record<string, string> {
  const pairs = BURN_RATES.find((burn) => burn.name === rate)!.pairs;
  return {
    summary: `${slo.title}: the error budget (${((1 - slo.objective) * 100).toFixed(1)}% of 30 days) burns ${rate === 'Fast' ? 'fast' : 'steadily'}`,
    description: `${slo.name}${group ? ` (${group})` : ''}: errors at over ${pairs.map((pair) => `${pair.factor}x the budget over ${pair.long} and ${pair.short}`).join(', or ')}; the objective is ${(slo.objective * 100).toFixed(1)}%.`,
    runbook_url: `${RUNBOOK_BASE}/${runbookSlug(slo.name)}.md`,
  };
}

const symptomAnnotations = (alert: SymptomAlert) => ({ summary: alert.summary, description: alert.runbook.meaning, runbook_url: `${RUNBOOK_BASE}/${runbookSlug(alert.name)}.md` });

/** The rule groups, as Prometheus reads them (the rules file and the PrometheusRule's spec). */
export function ruleGroups(): object[] {
  const recording = SLOS.flatMap((slo) =>
    WINDOWS.map((window) => ({
      record: `slo:${slo.name}:error_ratio_rate${window}`,
      expr: errorRatio(slo, window),
      labels: { slo: slo.name },
    })),
  );
  const burnRate = SLOS.flatMap((slo) =>
    BURN_RATES.map(({ name, severity, pairs }) => ({
      alert: sloAlertName(slo, name),
      expr: pairs
        .map(({ long, short, factor }) => {
          const threshold = `${factor} * ${(1 - slo.objective).toFixed(4)}`;
          return `(slo:${slo.name}:error_ratio_rate${long} > ${threshold} and slo:${slo.name}:error_ratio_rate${short} > ${threshold})`;
        })
        .join(' or '),
      for: name === 'Fast' ? '2m' : '15m',
      labels: { severity, slo: slo.name },
      annotations: sloAnnotations(slo, name, slo.by.length ? `{{ $labels.${slo.by[0]} }}` : undefined),
    })),
  );
  const symptoms = SYMPTOMS.map((alert) => ({
    alert: alert.name,
    expr: alert.expr,
    for: alert.for,
    labels: { severity: alert.severity },
    annotations: symptomAnnotations(alert),
  }));
  return [
    { name: 'ecowheels-slo-recording', interval: '1m', rules: recording },
    { name: 'ecowheels-slo-burn-rate', rules: burnRate },
    { name: 'ecowheels-symptoms', rules: symptoms },
  ];
}

/** promtool's unit tests: every alert fires on one input and stays quiet on another. */
export function ruleTests(): object {
  const tests: object[] = [];
  for (const slo of SLOS) {
    const group = slo.by.length ? (slo.name.startsWith('api_latency') ? 'query' : 'mutation') : undefined;
    const labels = { severity: 'page', slo: slo.name, ...(group ? { [slo.by[0]]: group } : {}) };
    // Bad events at 20 times the budget (2% of a 99.9% objective, 20% of a 99%): over 14.4, it pages.
    const hot = Math.round((1 - slo.objective) * 20 * 100);
    tests.push({
      name: `${slo.name}: a burn of the budget pages, a healthy service stays quiet`,
      interval: '1m',
      input_series: slo.series(hot, 100 - hot),
      alert_rule_test: [{ eval_time: '70m', alertname: sloAlertName(slo, 'Fast'), exp_alerts: [{ exp_labels: labels, exp_annotations: sloAnnotations(slo, 'Fast', group) }] }],
    });
    tests.push({
      name: `${slo.name}: quiet when within the objective`,
      interval: '1m',
      input_series: slo.series(0, 100),
      alert_rule_test: [
        { eval_time: '70m', alertname: sloAlertName(slo, 'Fast'), exp_alerts: [] },
        { eval_time: '70m', alertname: sloAlertName(slo, 'Slow'), exp_alerts: [] },
      ],
    });
  }
  for (const alert of SYMPTOMS) {
    const labels = { severity: alert.severity, ...alert.test.labels };
    tests.push({ name: `${alert.name} fires`, interval: '1m', input_series: alert.test.fires, alert_rule_test: [{ eval_time: alert.test.at, alertname: alert.name, exp_alerts: [{ exp_labels: labels, exp_annotations: symptomAnnotations(alert) }] }] });
    tests.push({ name: `${alert.name} stays quiet`, interval: '1m', input_series: alert.test.quiet, alert_rule_test: [{ eval_time: alert.test.at, alertname: alert.name, exp_alerts: [] }] });
  }
  return { rule_files: ['rules.yaml'], evaluation_interval: '1m', tests };
}

/** A runbook page in Markdown. */
export function runbookPage(title: string, runbook: Runbook, alerts: string[]): string {
  return [
    '<!-- Generated by `npm run mesh` from mesh-config/alerts.ts; edit the runbook there. -->',
    `# ${title}`,
    '',
    `Alerts: ${alerts.map((alert) => `\`${alert}\``).join(', ')}. Back to [the runbooks](index.md) and [the SLOs](../slos.md).`,
    '',
    '## What it means',
    '',
    runbook.meaning,
    '',
    '## First three things to look at',
    '',
    ...runbook.look.map((item, index) => `${index + 1}. ${item}`),
    '',
    '## Mitigate',
    '',
    runbook.mitigate,
    '',
  ].join('\n');
}

/** docs/runbooks/*.md: a page per alert (the two burn-rate alerts of an SLO share one), and the index. */
export function runbookPages(): Record<string, string> {
  const pages: Record<string, string> = {};
  const index = ['<!-- Generated by `npm run mesh` from mesh-config/alerts.ts. -->', '# Runbooks', '', 'One page per alert, linked from its `runbook_url`. The objectives behind the burn-rate alerts are in [docs/slos.md](../slos.md).', ''];
  for (const slo of SLOS) {
    const alerts = BURN_RATES.map(({ name }) => sloAlertName(slo, name));
    pages[`docs/runbooks/${runbookSlug(slo.name)}.md`] = runbookPage(slo.title, slo.runbook, alerts);
    index.push(`- [${slo.title}](${runbookSlug(slo.name)}.md): ${alerts.join(', ')}`);
  }
  for (const alert of SYMPTOMS) {
    pages[`docs/runbooks/${runbookSlug(alert.name)}.md`] = runbookPage(alert.summary, alert.runbook, [alert.name]);
    index.push(`- [${alert.summary}](${runbookSlug(alert.name)}.md): ${alert.name}`);
  }
  pages['docs/runbooks/index.md'] = `${index.join('\n')}\n`;
  return pages;
}
