// Builds the mesh's generated files from the policy: one folder per workload, with its
// Deployment, Service, ServiceAccount, AuthorizationPolicy, VirtualService and DestinationRule,
// and the gRPC service config for running without Istio.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_PORTS } from '../services/platform/src/config';
import { STOP_GRACE_MS } from '../services/platform/src/run-service';
import { DATABASE_CLASSES, nodeOptionsFor, PROCESSOR_SCALING, RESOURCE_CLASSES, WORKLOAD_CLASSES, type ResourceClass } from './resources';
import { ruleGroups, ruleTests, runbookPages } from './alerts';
import { dashboardConfigMaps } from './dashboards';
import { canaryFiles } from './progressive-delivery';
import { GATEWAY_METRICS_PORT, GATEWAY_PORT, INGRESS_PRINCIPAL, MESH_POLICY, NAMESPACE, RETRY, type Caller, type ServicePolicy } from './policy';

type Service = keyof typeof MESH_POLICY;
const SERVICES = Object.keys(MESH_POLICY) as Service[];
const principal = (caller: Caller) => `cluster.local/ns/${NAMESPACE}/sa/${caller}`;
const seconds = (ms: number) => `${ms / 1000}s`;
const labels = (name: string) => ({ app: name });

/**
 * Stopping a pod: the preStop pause lets the endpoints controller and every caller's sidecar take
 * the pod out of their load balancing before the process is told to stop, so no new call arrives
 * while it drains; then the process has its own grace (STOP_GRACE_MS); Kubernetes kills only past
 * both, with a margin. The sidecar keeps proxying while that goes on (terminationDrainDuration).
 */
export const PRE_STOP_SECONDS = 3;
export const TERMINATION_GRACE_SECONDS = 15;
const SIDECAR_DRAIN_SECONDS = PRE_STOP_SECONDS + STOP_GRACE_MS / 1000 + 1;

/** Which services each service calls over gRPC, for its *_SERVICE_ADDR variables. */
const GRPC_DEPENDENCIES: Record<Service | 'gateway', Service[]> = {
  user: [],
  inventory: [],
  payment: [],
  ride: ['user', 'inventory', 'payment'],
  telematics: ['inventory', 'ride'],
  gateway: ['user', 'inventory', 'ride'],
};

/** Settings a workload needs beyond its ports and dependencies. */
const WORKLOAD_ENV: Partial<Record<Service, Record<string, string>>> = {
  // The root filesystem is read-only: the lake (curated Parquet, landing folder) lives on the
  // pod's scratch volume, and the raw zone in object storage (the production overlay sets it).
  telematics: { DATA_DIR: '/tmp/ecowheels' },
};

const securityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

function deployment(
  name: string,
  ports: { name: string; containerPort: number }[],
  env: Record<string, string>,
  probe: object,
  secretEnv: Record<string, { secret: string; key: string }>,
  metricsPort: number,
  extra: { image?: string } = {},
) {
  const resourceClass = classOf(name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: labels(name) },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels(name) },
      template: {
        metadata: {
          labels: { ...labels(name), version: 'v1' },
          // Istio's metrics merging scrapes /metrics through the sidecar agent, past the
          // AuthorizationPolicy, and serves it with the proxy's own metrics.
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(metricsPort),
            'prometheus.io/path': '/metrics',
            'proxy.istio.io/config': JSON.stringify({ terminationDrainDuration: `${SIDECAR_DRAIN_SECONDS}s` }),
          },
        },
        spec: {
          serviceAccountName: name,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: { runAsNonRoot: true, fsGroup: 10001 },
          containers: [
            {
              name,
              image: `ecowheels/${extra.image ?? name}`,
              ports: ports.map((port) => ({ ...port, protocol: 'TCP' })),
              env: [
                // Every workload, in every overlay, runs in production mode (a local cluster's overlay
                // allows the sandbox providers explicitly).
                ...Object.entries({ NODE_ENV: 'production', ...env, NODE_OPTIONS: nodeOptionsFor(name) }).map(([key, value]) => ({ name: key, value })),
                ...Object.entries(secretEnv).map(([key, { secret, key: secretKey }]) => ({
                  name: key,
                  valueFrom: { secretKeyRef: { name: secret, key: secretKey } },
                })),
              ],
              resources: { requests: resourceClass.requests, limits: resourceClass.limits },
              readinessProbe: { ...probe, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { ...probe, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 3 },
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              securityContext,
              // Scratch space (tsx's cache in development); the root filesystem stays read-only.
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
          priorityClassName: resourceClass.priority.name,
          ...(resourceClass.spot ? SPOT : {}),
        },
      },
    },
  };
}

/** A workload's resource class (mesh-config/resources.ts). */
function classOf(name: string): ResourceClass {
  const className = WORKLOAD_CLASSES[name];
  if (!className) throw new Error(`mesh-config/resources.ts gives workload ${name} no resource class`);
  return RESOURCE_CLASSES[className];
}

/** Spot nodes carry the taint ecowheels.dev/spot=true: a spot class tolerates it and prefers them. */
const SPOT = {
  tolerations: [{ key: 'ecowheels.dev/spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
  affinity: {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'ecowheels.dev/spot', operator: 'In', values: ['true'] }] } }],
    },
  },
};

/** One PriorityClass per resource class; a class that may not preempt waits for room instead. */
function priorityClasses() {
  return Object.values(RESOURCE_CLASSES).map((resourceClass) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: resourceClass.priority.name },
    value: resourceClass.priority.value,
    globalDefault: false,
    preemptionPolicy: resourceClass.priority.preempts ? 'PreemptLowerPriority' : 'Never',
    description: resourceClass.purpose,
  }));
}

/** The workloads production promotes as canaries (progressive-delivery.ts): every one that takes traffic. */
const CANARIED = [...SERVICES, 'gateway'];

/** Production's autoscaler for a workload scaled on CPU (batch workloads are KEDA's); a canaried workload's pods are its Rollout's. */
function autoscaler(name: string) {
  const { replicas } = classOf(name);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels: labels(name) },
    spec: {
      scaleTargetRef: CANARIED.includes(name) ? { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name } : { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: replicas.targetCpuPercent } } }],
    },
  };
}

function service(name: string, ports: { name: string; port: number }[]) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name) },
    spec: { selector: labels(name), ports: ports.map((port) => ({ ...port, targetPort: port.port, protocol: 'TCP' })) },
  };
}

const serviceAccount = (name: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: labels(name) } });

/** One AuthorizationPolicy rule: these identities may reach these ports (and, if given, only these paths). */
function allow(principals: string[], ports: number[], paths?: string[]) {
  return { from: [{ source: { principals } }], to: [{ operation: { ports: ports.map(String), ...(paths ? { paths } : {}) } }] };
}

/** Groups methods by their exact set of callers, one rule each: small, readable policies. */
function rulesFor(policy: ServicePolicy) {
  const byCallers = new Map<string, string[]>();
  for (const [method, { callers }] of Object.entries(policy.methods)) {
    const key = [...callers].sort().join(',');
    byCallers.set(key, [...(byCallers.get(key) ?? []), `/${policy.grpcService}/${method}`]);
  }
  return [
    ...[...byCallers.entries()].map(([callers, paths]) => allow(callers.split(',').map((caller) => principal(caller as Caller)), [policy.grpcPort], paths)),
    // The subgraph answers only the gateway.
    allow([principal('gateway')], [policy.httpPort]),
    // Devices come in through the ingress gateway and prove who they are with their own credential.
    ...(policy.devicePorts ? [allow([INGRESS_PRINCIPAL], policy.devicePorts.map((port) => port.port))] : []),
  ];
}

function authorizationPolicy(name: string, rules: object[]) {
  return {
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'AuthorizationPolicy',
    metadata: { name, labels: labels(name) },
    spec: { selector: { matchLabels: labels(name) }, action: 'ALLOW', rules },
  };
}

function virtualService(name: string, policy: ServicePolicy) {
  const routes = Object.entries(policy.methods).map(([method, { timeoutMs, retry }]) => ({
    name: method.replace(/[A-Z]/g, (letter, index) => `${index ? '-' : ''}${letter.toLowerCase()}`),
    match: [{ port: policy.grpcPort, uri: { exact: `/${policy.grpcService}/${method}` } }],
    route: [{ destination: { host: name, port: { number: policy.grpcPort } } }],
    timeout: seconds(timeoutMs),
    retries:
      retry === 'on-unavailable'
        ? { attempts: RETRY.maxAttempts - 1, perTryTimeout: seconds(timeoutMs / 2), retryOn: 'unavailable,connect-failure,refused-stream' }
        : { attempts: 0 },
  }));
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name, labels: labels(name) },
    spec: {
      hosts: [name],
      http: [
        ...routes,
        // GraphQL mutations are not safe to repeat blindly: the subgraph route never retries.
        { name: 'subgraph', match: [{ port: policy.httpPort }], route: [{ destination: { host: name, port: { number: policy.httpPort } } }], timeout: '5s', retries: { attempts: 0 } },
      ],
    },
  };
}

function destinationRule(name: string) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name, labels: labels(name) },
    spec: {
      host: name,
      trafficPolicy: {
        tls: { mode: 'ISTIO_MUTUAL' },
        connectionPool: { tcp: { maxConnections: 200, connectTimeout: '1s' }, http: { http2MaxRequests: 500, maxRequestsPerConnection: 0 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
    },
  };
}

/** The gRPC service config per service (timeouts always; retries only without Istio). */
export function grpcServiceConfigs() {
  return Object.fromEntries(
    SERVICES.map((name) => {
      const policy = MESH_POLICY[name];
      return [
        name,
        {
          methodConfig: Object.entries(policy.methods).map(([method, { timeoutMs, retry }]) => ({
            name: [{ service: policy.grpcService, method }],
            timeout: seconds(timeoutMs),
            ...(retry === 'on-unavailable'
              ? {
                  retryPolicy: {
                    maxAttempts: RETRY.maxAttempts,
                    initialBackoff: seconds(RETRY.initialBackoffMs),
                    maxBackoff: seconds(RETRY.maxBackoffMs),
                    backoffMultiplier: RETRY.backoffMultiplier,
                    retryableStatusCodes: ['UNAVAILABLE'],
                  },
                }
              : {}),
          })),
        },
      ];
    }),
  );
}

/** A service's settings in the cluster: where it listens, under Istio, and where its dependencies are. */
/** The <SERVICE>_SERVICE_ADDR variables of what a workload calls over gRPC. */
const grpcAddresses = (name: Service | 'gateway') =>
  Object.fromEntries(GRPC_DEPENDENCIES[name].map((dependency) => [`${dependency.toUpperCase()}_SERVICE_ADDR`, `${dependency}:${MESH_POLICY[dependency].grpcPort}`]));

function serviceEnv(name: Service): Record<string, string> {
  const policy = MESH_POLICY[name];
  const prefix = name.toUpperCase();
  return {
    LISTEN_HOST: '0.0.0.0',
    MESH_MODE: 'istio',
    [`${prefix}_GRPC_PORT`]: String(policy.grpcPort),
    [`${prefix}_HTTP_PORT`]: String(policy.httpPort),
    OTEL_SERVICE_NAME: name,
    ...grpcAddresses(name),
    ...WORKLOAD_ENV[name],
  };
}

export function meshFiles(): Record<string, object | object[] | string> {
  const files: Record<string, object | object[] | string> = {};
  const resources: string[] = ['mesh'];
  for (const name of SERVICES) {
    const policy = MESH_POLICY[name];
    const prefix = name.toUpperCase();
    const env = serviceEnv(name);
    const dir = `mesh-config/base/${name}`;
    files[`${dir}/deployment.yaml`] = deployment(
      name,
      [
        { name: `grpc-${name}`, containerPort: policy.grpcPort },
        { name: `http-${name}`, containerPort: policy.httpPort },
        ...(policy.devicePorts ?? []).map((port) => ({ name: port.name, containerPort: port.port })),
      ],
      env,
      { grpc: { port: policy.grpcPort } },
      { [`${prefix}_DATABASE_URL`]: { secret: `${name}-database`, key: 'url' } },
      policy.httpPort,
    );
    files[`${dir}/service.yaml`] = service(name, [
      { name: `grpc-${name}`, port: policy.grpcPort },
      { name: `http-${name}`, port: policy.httpPort },
      ...(policy.devicePorts ?? []),
    ]);
    files[`${dir}/service-account.yaml`] = serviceAccount(name);
    files[`${dir}/authorization-policy.yaml`] = authorizationPolicy(name, rulesFor(policy));
    files[`${dir}/virtual-service.yaml`] = virtualService(name, policy);
    files[`${dir}/destination-rule.yaml`] = destinationRule(name);
    resources.push(name);
  }
  const gatewayEnv: Record<string, string> = {
    LISTEN_HOST: '0.0.0.0',
    MESH_MODE: 'istio',
    GATEWAY_PORT: String(GATEWAY_PORT),
    GATEWAY_METRICS_PORT: String(GATEWAY_METRICS_PORT),
    // Istio's ingress gateway appends the client's address to X-Forwarded-For (login throttling).
    GATEWAY_TRUST_PROXY_HOPS: '1',
    OTEL_SERVICE_NAME: 'gateway',
    // The user service for API keys and tokens; inventory and ride for the public GBFS feed.
    ...grpcAddresses('gateway'),
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_SUBGRAPH_URL`, `http://${name}:${MESH_POLICY[name].httpPort}/graphql`])),
  };
  // The metrics port is in no Service and no AuthorizationPolicy: only the sidecar agent, inside the
  // pod, scrapes it.
  files['mesh-config/base/gateway/deployment.yaml'] = deployment(
    'gateway',
    [{ name: 'http-gateway', containerPort: GATEWAY_PORT }, { name: 'http-metrics', containerPort: GATEWAY_METRICS_PORT }],
    gatewayEnv,
    { httpGet: { path: '/health', port: GATEWAY_PORT } },
    {},
    GATEWAY_METRICS_PORT,
  );
  files['mesh-config/base/gateway/service.yaml'] = service('gateway', [{ name: 'http-gateway', port: GATEWAY_PORT }]);
  files['mesh-config/base/gateway/service-account.yaml'] = serviceAccount('gateway');
  files['mesh-config/base/gateway/authorization-policy.yaml'] = authorizationPolicy('gateway', [allow([INGRESS_PRINCIPAL], [GATEWAY_PORT])]);
  files['mesh-config/base/gateway/destination-rule.yaml'] = destinationRule('gateway');
  resources.push('gateway');
  for (const name of resources.filter((resource) => resource !== 'mesh')) {
    const own = Object.keys(files).filter((path) => path.startsWith(`mesh-config/base/${name}/`)).map((path) => path.split('/').pop());
    files[`mesh-config/base/${name}/kustomization.yaml`] = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: NAMESPACE, resources: own };
  }
  // The alerts (alerts.ts): a PrometheusRule for the Prometheus Operator, the same groups as a plain
  // rules file with promtool's unit tests for a bare Prometheus, and a runbook page per alert.
  files['mesh-config/base/monitoring/prometheus-rule.yaml'] = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'ecowheels', namespace: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'ecowheels', role: 'alert-rules' } },
    spec: { groups: ruleGroups() },
  };
  // The dashboards (dashboards.ts), as ConfigMaps that Grafana's dashboard sidecar loads.
  files['mesh-config/base/monitoring/dashboards.yaml'] = dashboardConfigMaps();
  files['mesh-config/base/monitoring/kustomization.yaml'] = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources: ['prometheus-rule.yaml', 'dashboards.yaml'],
  };
  resources.push('monitoring');
  files['mesh-config/prometheus/rules.yaml'] = { groups: ruleGroups() };
  // The local overlay's bare Prometheus reads the same rules from a ConfigMap.
  files['mesh-config/overlays/local/observability/prometheus-rules.yaml'] = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'prometheus-rules', labels: { app: 'prometheus' } },
    data: { 'rules.yaml': stringify({ groups: ruleGroups() }, { lineWidth: 0 }) },
  };
  files['mesh-config/prometheus/rules.test.yaml'] = ruleTests();
  Object.assign(files, runbookPages());
  files['mesh-config/base/scheduling/priority-classes.yaml'] = priorityClasses();
  files['mesh-config/base/scheduling/kustomization.yaml'] = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['priority-classes.yaml'] };
  resources.push('scheduling');
  files['mesh-config/base/kustomization.yaml'] = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
  const scaledOnCpu = Object.keys(WORKLOAD_CLASSES).filter((name) => classOf(name).replicas.targetCpuPercent !== undefined);
  for (const name of scaledOnCpu) files[`mesh-config/overlays/production/autoscaling/${name}.yaml`] = autoscaler(name);
  // Each service's database class, for whoever provisions the managed databases (the overlay holds
  // only their URLs, in Secrets): one place, read by people and by their tooling.
  files['mesh-config/overlays/production/database-classes/config-map.yaml'] = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'database-classes' },
    data: Object.fromEntries(Object.entries(DATABASE_CLASSES).map(([service, databaseClass]) => [service, JSON.stringify(databaseClass)])),
  };
  files['mesh-config/overlays/production/database-classes/kustomization.yaml'] = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources: ['config-map.yaml'],
  };
  files['mesh-config/overlays/production/autoscaling/kustomization.yaml'] = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources: scaledOnCpu.map((name) => `${name}.yaml`),
  };
  Object.assign(files, telematicsProcessorFiles(), telematicsEdgeFiles());
  Object.assign(files, canaryFiles(files, CANARIED, (name) => classOf(name).replicas.min, join(__dirname, '..')));
  // The API replica (the base's telematics Deployment) provisions and revokes bikes on the bus.
  const api = natsSecretMount('telematics');
  // One JSON 6902 patch: a single YAML list, not a stream of documents.
  files['mesh-config/overlays/production/telematics-nats.yaml'] = `# Generated by \`npm run mesh\` from mesh-config/manifests.ts; do not edit.\n${stringify([
    { op: 'add', path: '/spec/template/spec/volumes/-', value: api.volume },
    { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts/-', value: api.mount },
    ...Object.entries({ ...api.env, TELEMATICS_DEVICE_MQTT_URL: DEVICE_MQTT_URL }).map(([name, value]) => ({ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name, value } })),
  ])}`;
  files['services/platform/src/mesh/grpc-service-config.generated.json'] = `${JSON.stringify(grpcServiceConfigs(), null, 2)}\n`;
  files['services/platform/src/mesh/authorization.generated.json'] = `${JSON.stringify(
    Object.fromEntries(
      SERVICES.map((name) => [
        MESH_POLICY[name].grpcService,
        Object.fromEntries(Object.entries(MESH_POLICY[name].methods).map(([method, { callers }]) => [method, callers])),
      ]),
    ),
    null,
    2,
  )}\n`;
  return files;
}

/** Where production's NATS cluster answers: clients, and the monitoring endpoint KEDA reads. */
const NATS = { namespace: 'ecowheels-infra', client: 'nats://nats.ecowheels-infra:4222', monitoring: 'nats.ecowheels-infra.svc.cluster.local:8222' };

/** Where bikes connect: NATS's MQTT listener behind TLS, as ProvisionDevice tells them. */
const DEVICE_MQTT_URL = 'mqtts://mqtt.ecowheels.example:8883';

/** Replaced by kustomize in the production overlay with the deployment's own application account. */
export const TELEMATICS_ACCOUNT_PLACEHOLDER = 'TELEMATICS_NATS_ACCOUNT';

/** Production's lake: the raw zone and the curated Parquet, in one bucket (the API reads the latter too). */
const LAKE = { rawZone: 's3://ecowheels-telematics-lake/zones', warehouse: 's3://ecowheels-telematics-lake/curated' };

/**
 * Each telematics workload's NATS user on production's bus (operator mode): a Secret made from what
 * `npm run nats:accounts` writes (telematics/<role>.creds), mounted as a file. The API's also holds
 * the device registry's keys (telematics/device-issuer.json), to mint and revoke bikes' users.
 */
export const NATS_SECRETS = {
  'telematics-processor': { secret: 'telematics-processor-nats', files: { 'processor.creds': 'TELEMATICS_BUS_CREDS_FILE' } },
  'telematics-edge': { secret: 'telematics-edge-nats', files: { 'edge.creds': 'TELEMATICS_BUS_CREDS_FILE' } },
  telematics: { secret: 'telematics-nats', files: { 'api.creds': 'TELEMATICS_BUS_CREDS_FILE', 'device-issuer.json': 'TELEMATICS_DEVICE_ISSUER_FILE' } },
} as const;
const NATS_SECRETS_DIR = '/var/run/secrets/ecowheels/nats';

/** A workload's NATS Secret as a read-only volume, and the env vars that name its files. */
export function natsSecretMount(workload: keyof typeof NATS_SECRETS) {
  const { secret, files } = NATS_SECRETS[workload];
  return {
    env: Object.fromEntries(Object.entries(files).map(([file, variable]) => [variable, `${NATS_SECRETS_DIR}/${file}`])),
    volume: { name: 'nats-credentials', secret: { secretName: secret, defaultMode: 0o400 } },
    mount: { name: 'nats-credentials', mountPath: NATS_SECRETS_DIR, readOnly: true },
  };
}

/** Adds a workload's NATS credentials to its Deployment. */
function withNatsCredentials<T extends ReturnType<typeof deployment>>(manifest: T, workload: keyof typeof NATS_SECRETS): T {
  const mount = natsSecretMount(workload);
  const pod = manifest.spec.template.spec;
  pod.volumes.push(mount.volume as never);
  pod.containers[0].volumeMounts.push(mount.mount as never);
  pod.containers[0].env.push(...(Object.entries(mount.env).map(([name, value]) => ({ name, value })) as never[]));
  return manifest;
}

/** The telematics image in one of its roles on production's stream (see the README). */
function streamWorkload(name: 'telematics-processor' | 'telematics-edge', role: 'processor' | 'edge', ports: { name: string; containerPort: number }[], env: Record<string, string>) {
  const policy = MESH_POLICY.telematics;
  return withNatsCredentials(
    deployment(
      name,
      ports,
      // The telematics service's own settings, in its role on the production stream.
      { ...serviceEnv('telematics'), OTEL_SERVICE_NAME: name, TELEMATICS_ROLE: role, TELEMATICS_BUS: NATS.client, TELEMATICS_STREAM_REPLICAS: '3', ...env },
      { grpc: { port: policy.grpcPort } },
      // The edge reads device credentials there; the processor stores readings.
      { TELEMATICS_DATABASE_URL: { secret: 'telematics-database', key: 'url' } },
      policy.httpPort,
      { image: 'telematics' },
    ),
    name,
  );
}

/**
 * Production's edge: the device HTTPS door and the operators' gRPC stream, publishing to JetStream
 * and answering once it has the batch. Stateless, scaled on CPU like the API, and reached by
 * devices through the ingress gateway's own host.
 */
function telematicsEdgeFiles(): Record<string, object> {
  const name = 'telematics-edge';
  const dir = `mesh-config/overlays/production/${name}`;
  const policy = MESH_POLICY.telematics;
  const devicePort = DEFAULT_PORTS.telematics.devices;
  const ingest = policy.methods.Ingest;
  return {
    [`${dir}/deployment.yaml`]: streamWorkload(
      name,
      'edge',
      [
        { name: 'grpc-telematics', containerPort: policy.grpcPort },
        { name: 'http-devices', containerPort: devicePort },
      ],
      {},
    ),
    [`${dir}/service.yaml`]: service(name, [
      { name: 'grpc-telematics', port: policy.grpcPort },
      { name: 'http-devices', port: devicePort },
    ]),
    [`${dir}/service-account.yaml`]: serviceAccount(name),
    [`${dir}/authorization-policy.yaml`]: authorizationPolicy(name, [
      // The operators' back-fill stream, as on the API's own port.
      allow(ingest.callers.map(principal), [policy.grpcPort], [`/${policy.grpcService}/Ingest`]),
      // Devices come in through the ingress gateway and prove who they are with their own key.
      allow([INGRESS_PRINCIPAL], [devicePort]),
    ]),
    [`${dir}/destination-rule.yaml`]: destinationRule(name),
    // Devices' HTTPS: its own host on the public ingress, so a device fleet's traffic and the apps'
    // can be told apart, limited and moved on their own.
    [`${dir}/gateway.yaml`]: {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'Gateway',
      metadata: { name: 'devices', labels: labels(name) },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 443, name: 'https-devices', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'devices-tls' }, hosts: ['devices.ecowheels.example'] }],
      },
    },
    [`${dir}/virtual-service.yaml`]: {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'device-readings', labels: labels(name) },
      spec: {
        hosts: ['devices.ecowheels.example'],
        gateways: ['devices'],
        // No retries here, as on the public API: the device retries a batch that got no 202 itself.
        http: [{ name: 'readings', match: [{ uri: { exact: '/v1/readings' } }], route: [{ destination: { host: name, port: { number: devicePort } } }], timeout: '10s', retries: { attempts: 0 } }],
      },
    },
    [`${dir}/kustomization.yaml`]: {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: NAMESPACE,
      resources: ['deployment.yaml', 'service.yaml', 'service-account.yaml', 'authorization-policy.yaml', 'destination-rule.yaml', 'gateway.yaml', 'virtual-service.yaml'],
    },
  };
}

/**
 * Production's serverless data path (see the README): the telematics processor, a Deployment of the
 * telematics image in its `processor` role that KEDA scales from zero on the JetStream consumer's
 * lag, with no Service (nothing calls it) and an AuthorizationPolicy that lets nobody in; and the
 * Helm values of the NATS cluster it reads.
 */
function telematicsProcessorFiles(): Record<string, object> {
  const name = 'telematics-processor';
  const dir = `mesh-config/overlays/production/${name}`;
  // A batch worker (resources.ts): small, and fine on spot capacity, since a preempted batch is
  // simply delivered again.
  const processor = streamWorkload(name, 'processor', [{ name: 'grpc-telematics', containerPort: MESH_POLICY.telematics.grpcPort }], {
    TELEMATICS_RAW_ZONE_URL: LAKE.rawZone,
    TELEMATICS_WAREHOUSE_URL: LAKE.warehouse,
  });
  // KEDA owns the replica count (0 while the stream is empty); a count here would fight it.
  delete (processor.spec as { replicas?: number }).replicas;
  return {
    [`${dir}/deployment.yaml`]: processor,
    [`${dir}/service-account.yaml`]: serviceAccount(name),
    // No rules: nobody may call it (the kubelet's probes are rewritten by the sidecar).
    [`${dir}/authorization-policy.yaml`]: { apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name, labels: labels(name) }, spec: { selector: { matchLabels: labels(name) } } },
    [`${dir}/scaled-object.yaml`]: {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name, labels: labels(name) },
      spec: {
        scaleTargetRef: { name },
        // No readings waiting, no processor: the stream keeps them until one starts.
        minReplicaCount: classOf(name).replicas.min,
        maxReplicaCount: classOf(name).replicas.max,
        // The numbers and why: PROCESSOR_SCALING in mesh-config/resources.ts.
        pollingInterval: PROCESSOR_SCALING.pollingIntervalSeconds,
        cooldownPeriod: PROCESSOR_SCALING.cooldownSeconds,
        triggers: [
          {
            type: 'nats-jetstream',
            metadata: {
              natsServerMonitoringEndpoint: NATS.monitoring,
              // The application account's public key (the stream lives there, not in $G): the
              // production overlay sets it from accounts.env, which `npm run nats:accounts` writes.
              account: TELEMATICS_ACCOUNT_PLACEHOLDER,
              stream: 'TELEMATICS',
              consumer: 'telematics-processor',
              lagThreshold: String(PROCESSOR_SCALING.lagThreshold),
              activationLagThreshold: String(PROCESSOR_SCALING.activationLagThreshold),
            },
          },
        ],
      },
    },
    [`${dir}/kustomization.yaml`]: {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: NAMESPACE,
      resources: ['deployment.yaml', 'service-account.yaml', 'authorization-policy.yaml', 'scaled-object.yaml'],
    },
    // Helm values for the official chart (helm install nats nats/nats -n ecowheels-infra -f …):
    // three servers in a cluster, JetStream on persistent volumes, and the MQTT listener the bikes
    // publish to (its sessions and QoS 1 messages kept in JetStream), behind TLS: a bike's JWT is
    // a bearer secret. Operator mode with the full resolver: the operator, the accounts and the
    // resolver's settings come from the Secret nats-resolver (nats/resolver.conf from
    // `npm run nats:accounts -- --resolver-dir /data/jwt`), and the accounts' JWTs live on the
    // JetStream volume, so a pushed revocation survives a restart. Streams live in the application
    // account: no user of $G exists.
    'mesh-config/overlays/production/nats/values.yaml': {
      config: {
        cluster: { enabled: true, replicas: 3 },
        jetstream: { enabled: true, fileStore: { pvc: { size: '20Gi' } } },
        mqtt: { enabled: true, port: 8883, tls: { enabled: true, secretName: 'nats-mqtt-tls' } },
        monitor: { enabled: true, port: 8222 },
        merge: { $include: 'auth/resolver.conf' },
      },
      container: { patch: [{ op: 'add', path: '/volumeMounts/-', value: { name: 'nats-resolver', mountPath: '/etc/nats-config/auth', readOnly: true } }] },
      podTemplate: {
        topologySpreadConstraints: { 'kubernetes.io/hostname': { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' } },
        patch: [{ op: 'add', path: '/spec/volumes/-', value: { name: 'nats-resolver', secret: { secretName: 'nats-resolver' } } }],
      },
    },
  };
}
