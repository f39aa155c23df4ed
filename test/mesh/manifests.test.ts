// The Kubernetes and Istio manifests, checked statically (there is no cluster here): every file
// parses and validates against the Kubernetes and Istio schemas, both overlays render with
// `kubectl kustomize`, every workload has probes, limits and a service account, names, ports,
// selectors and identities refer to things that exist, and the generated files match the policy.
import { STOP_GRACE_MS } from '../../services/platform/src/run-service';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { build } from 'esbuild';
import { PROCESS_MAINS } from '../../services/local-stack/src/build';
import { contextCopies, dockerfile, ignoredNames } from '../support/dockerfile';
import { readInventoryConfig } from '../../services/inventory/src/config';
import { readPaymentConfig } from '../../services/payment/src/config';
import { readRideConfig } from '../../services/ride/src/config';
import { readTelematicsConfig } from '../../services/telematics/src/config';
import { readUserConfig } from '../../services/user/src/config';
import { readGatewayConfig } from '../../supergraph/src/config';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { AuthorizationPolicy, PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1';
import { DestinationRule, Gateway, VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { AnalysisTemplate, Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import { databaseClassTable, RESOURCE_CLASSES, resourceClassTable, WORKLOAD_CLASSES } from '../../mesh-config/resources';
import { meshFiles } from '../../mesh-config/manifests';
import { DURABLE, STREAM } from '../../services/telematics/src/doors/telematics-bus';
import { render } from '../../mesh-config/generate';
import { ruleGroups, SLOS } from '../../mesh-config/alerts';
import { parsePromql } from '../support/metric-names';
import { INGRESS_PRINCIPAL, MESH_POLICY, NAMESPACE } from '../../mesh-config/policy';

const ROOT = join(__dirname, '..', '..');
const MESH = join(ROOT, 'mesh-config');

/** Secrets the cluster holds (not in the repository), as values of their form; undefined for one it does not. */
const CLUSTER_SECRETS: Record<string, string> = {
  'payment-stripe/secret-key': 'sk_live_example',
  'user-smtp/url': 'smtps://mailer:password@smtp.example:465',
};
function clusterSecret(ref: { name: string; key: string }): string | undefined {
  // Each service's database (<service>-database, key url).
  if (ref.name.endsWith('-database') && ref.key === 'url') return 'postgres://app@db.example:5432/app';
  return CLUSTER_SECRETS[`${ref.name}/${ref.key}`];
}

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any };

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'security.istio.io/v1beta1/AuthorizationPolicy': AuthorizationPolicy,
  'security.istio.io/v1beta1/PeerAuthentication': PeerAuthentication,
  'networking.istio.io/v1beta1/VirtualService': VirtualService,
  'networking.istio.io/v1beta1/DestinationRule': DestinationRule,
  'networking.istio.io/v1beta1/Gateway': Gateway,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'argoproj.io/v1alpha1/Rollout': Rollout,
  'argoproj.io/v1alpha1/AnalysisTemplate': AnalysisTemplate,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : name.endsWith('.yaml') ? [path] : [];
  });
}

const parse = (text: string) =>
  parseAllDocuments(text).map((document) => {
    if (document.errors.length) throw new Error(document.errors.map((error) => error.message).join('; '));
    return document.toJS() as Manifest;
  });

const kubectlMissing = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0;

function kustomize(overlay: string): Manifest[] {
  const run = spawnSync('kubectl', ['kustomize', join(MESH, 'overlays', overlay)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${run.stderr}`);
  return parse(run.stdout);
}

describe('mesh manifests', () => {
  const manifests = yamlFiles(MESH)
    // Patches and Helm values are not manifests: the overlays' renders below check them.
    .filter((path) => !path.endsWith('kustomization.yaml') && !/overlays\/\w+\/[^/]+\.yaml$/.test(relative(MESH, path)) && !path.endsWith('nats/values.yaml') && !path.includes('mesh-config/prometheus/'))
    .map((path) => ({ path: relative(ROOT, path), documents: parse(readFileSync(path, 'utf8')) }));

  it('parse, and validate against the Kubernetes and Istio schemas', () => {
    expect(manifests.length).toBeGreaterThan(30);
    for (const { path, documents } of manifests) {
      for (const document of documents) {
        const key = `${document.apiVersion}/${document.kind}`;
        if (key === 'monitoring.coreos.com/v1/PrometheusRule') {
          // The Prometheus Operator's CRD: its groups are the plain rules file's, which promtool
          // checks and unit-tests (test/ops/alerts.test.ts).
          expect(document.spec.groups).toEqual(ruleGroups());
          continue;
        }
        if (key === 'telemetry.istio.io/v1/Telemetry') {
          // Not in @kubernetes-models/istio 2.3 (the last for Node 20): checked by hand.
          expect(document.spec.tracing[0].providers[0].name).toBe('jaeger');
          continue;
        }
        const Model = MODELS[key];
        if (!Model) throw new Error(`${path}: no schema for ${key}`);
        expect(() => new Model(document).validate()).not.toThrow();
      }
    }
  });

  it('generated files are what `npm run mesh` writes from the policy (run it if this fails)', () => {
    for (const [path, content] of Object.entries(meshFiles())) {
      const expected = typeof content === 'string' ? content : render(content);
      expect({ path, content: readFileSync(join(ROOT, path), 'utf8') }).toEqual({ path, content: expected });
    }
  });

  it('Tiltfile builds an image for every workload the manifests run, from a Dockerfile in the repository', () => {
    const tiltfile = readFileSync(join(ROOT, 'Tiltfile'), 'utf8');
    for (const workload of [...Object.keys(MESH_POLICY), 'gateway']) expect(tiltfile).toMatch(new RegExp(`'${workload}': '[^']+main\\.ts'`));
    expect(tiltfile).toContain("kustomize('mesh-config/overlays/local')");
    expect(tiltfile).toMatch(/port_forwards=\['4000:4000'\]/);
    expect(tiltfile).toMatch(/port_forwards=\['16686:16686'\]/);
    expect(dockerfile).toMatch(/USER 10001/);
  });

  it("the image's build finds every file its build script and the six mains import in what the Dockerfile copies", async () => {
    const copied = contextCopies.flatMap((copy) => copy.sources);
    const { metafile } = await build({
      entryPoints: ['services/local-stack/src/build.ts', ...PROCESS_MAINS.map((main) => `${main}.ts`)].map((file) => join(ROOT, file)),
      absWorkingDir: ROOT,
      bundle: true,
      packages: 'external',
      platform: 'node',
      write: false,
      metafile: true,
      outdir: join(ROOT, 'dist.unused'),
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.length).toBeGreaterThan(100);
    const missing = inputs.filter((input) => !copied.some((source) => input === source || input.startsWith(`${source}/`)));
    expect(missing).toEqual([]);
    expect(inputs.filter((input) => input.split('/').some((name) => ignoredNames.includes(name)))).toEqual([]);
  });

  if (kubectlMissing && !process.env.CI) {
    it.skip('render with kubectl kustomize (kubectl is not installed)', () => undefined);
    return;
  }

  describe.each(['local', 'production'])('the %s overlay', (overlay) => {
    const rendered = kustomize(overlay);
    const ofKind = (kind: string) => rendered.filter((manifest) => manifest.kind === kind);
    const names = (kind: string) => new Set(ofKind(kind).map((manifest) => manifest.metadata.name));

    it('renders every workload with its Service, ServiceAccount and Istio policy', () => {
      for (const workload of [...Object.keys(MESH_POLICY), 'gateway']) {
        expect(names('Deployment')).toContain(workload);
        expect(names('Service')).toContain(workload);
        expect(names('ServiceAccount')).toContain(workload);
        expect(names('AuthorizationPolicy')).toContain(workload);
        expect(names('DestinationRule')).toContain(workload);
      }
      expect(ofKind('PeerAuthentication').map((policy) => [policy.metadata.namespace, policy.spec.mtls.mode])).toEqual([['istio-system', 'STRICT']]);
    });

    it('runs every workload with NODE_ENV=production, and allows the sandbox providers only in the local overlay', () => {
      const envOf = (deployment: Manifest) => Object.fromEntries((deployment.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: object }[]).map((entry) => [entry.name, entry.value ?? entry.valueFrom]));
      // Ours (the local overlay's Jaeger and databases are not).
      for (const deployment of ofKind('Deployment').filter((found) => found.spec.template.spec.containers[0].image.startsWith('ecowheels/'))) {
        const env = envOf(deployment);
        expect({ name: deployment.metadata.name, NODE_ENV: env.NODE_ENV }).toEqual({ name: deployment.metadata.name, NODE_ENV: 'production' });
        const allowed = overlay === 'local' && ['user', 'payment'].includes(deployment.metadata.name) ? 'true' : undefined;
        expect({ name: deployment.metadata.name, allowed: env.ALLOW_SANDBOX_PROVIDERS }).toEqual({ name: deployment.metadata.name, allowed });
      }
      if (overlay === 'production') {
        const [user, payment] = ['user', 'payment'].map((name) => envOf(ofKind('Deployment').find((deployment) => deployment.metadata.name === name)!));
        expect(user).toMatchObject({ USER_MAIL_PROVIDER: 'smtp', USER_SMTP_URL: { secretKeyRef: { name: 'user-smtp', key: 'url' } }, USER_IDENTITY_PROVIDER: 'manual' });
        expect(payment).toMatchObject({ PAYMENT_CARD_PROVIDER: 'stripe', PAYMENT_STRIPE_SECRET_KEY: { secretKeyRef: { name: 'payment-stripe', key: 'secret-key' } } });
      }
    });

    it("gives every workload of ours a configuration its own reader accepts, secrets as the cluster provides them", () => {
      // Secrets the overlay renders are read as rendered; the ones the cluster holds (databases, the
      // card provider, the mail server) stand in with values of their form. A secret neither names fails here.
      const rendered = new Map(
        ofKind('Secret').map((secret) => {
          const { data, stringData } = secret as { data?: Record<string, string>; stringData?: Record<string, string> };
          const decoded = Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
          return [secret.metadata.name, { ...decoded, ...stringData }];
        }),
      );
      const readers: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
        user: readUserConfig,
        inventory: readInventoryConfig,
        payment: readPaymentConfig,
        ride: readRideConfig,
        gateway: readGatewayConfig,
      };
      const ours = ofKind('Deployment').filter((found) => found.spec.template.spec.containers[0].image.startsWith('ecowheels/'));
      expect(ours.length).toBeGreaterThanOrEqual(6);
      for (const deployment of ours) {
        const name = deployment.metadata.name;
        const entries = deployment.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
        const env = Object.fromEntries(
          entries.map((entry) => {
            const ref = entry.valueFrom?.secretKeyRef;
            const value = entry.value ?? (ref && (rendered.get(ref.name)?.[ref.key] ?? clusterSecret(ref)));
            expect({ name, variable: entry.name, value }).toEqual({ name, variable: entry.name, value: expect.any(String) });
            return [entry.name, value];
          }),
        );
        const reader = readers[name] ?? (name.startsWith('telematics') ? readTelematicsConfig : undefined);
        expect({ name, reader: typeof reader }).toEqual({ name, reader: 'function' });
        expect(() => reader!(env)).not.toThrow();
      }
    });

    it('gives every workload probes, requests and limits, its own service account and a locked-down container', () => {
      for (const deployment of ofKind('Deployment')) {
        const pod = deployment.spec.template.spec;
        expect(names('ServiceAccount')).toContain(pod.serviceAccountName);
        for (const container of pod.containers) {
          expect({ name: deployment.metadata.name, readiness: !!container.readinessProbe, liveness: !!container.livenessProbe }).toEqual({ name: deployment.metadata.name, readiness: true, liveness: true });
          expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
          expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
          if (deployment.metadata.name in MESH_POLICY || deployment.metadata.name === 'gateway') {
            expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
          }
        }
      }
      for (const name of Object.keys(MESH_POLICY)) {
        const probe = ofKind('Deployment').find((deployment) => deployment.metadata.name === name)!.spec.template.spec.containers[0].readinessProbe;
        expect(probe.grpc.port).toBe(MESH_POLICY[name as keyof typeof MESH_POLICY].grpcPort);
      }
    });

    it('gives every workload time to stop: a preStop pause, then its own grace, both within Kubernetes\' grace, with the sidecar proxying throughout', () => {
      for (const deployment of ofKind('Deployment').filter((deployment) => deployment.metadata.name in MESH_POLICY || deployment.metadata.name === 'gateway')) {
        const pod = deployment.spec.template.spec;
        const preStop = pod.containers[0].lifecycle.preStop.sleep.seconds as number;
        expect(preStop).toBeGreaterThan(0);
        expect(preStop + STOP_GRACE_MS / 1000).toBeLessThan(pod.terminationGracePeriodSeconds);
        const sidecar = JSON.parse(deployment.spec.template.metadata.annotations['proxy.istio.io/config']) as { terminationDrainDuration: string };
        const drain = Number.parseFloat(sidecar.terminationDrainDuration);
        expect(drain).toBeGreaterThanOrEqual(preStop + STOP_GRACE_MS / 1000);
        expect(drain).toBeLessThan(pod.terminationGracePeriodSeconds);
      }
    });

    it('points every Service at pods that exist, on ports they open, with names Istio reads the protocol from', () => {
      for (const service of ofKind('Service')) {
        const pods = ofKind('Deployment').filter((deployment) =>
          Object.entries(service.spec.selector).every(([key, value]) => deployment.spec.template.metadata.labels[key] === value),
        );
        expect({ service: service.metadata.name, pods: pods.length }).toEqual({ service: service.metadata.name, pods: 1 });
        const containerPorts = pods[0].spec.template.spec.containers[0].ports.map((port: { containerPort: number }) => port.containerPort);
        for (const port of service.spec.ports) {
          expect(containerPorts).toContain(port.targetPort);
          expect(port.name).toMatch(/^(grpc|http|tcp)-/);
        }
      }
    });

    it('names in every address, route and rule a Service, port or identity that exists', () => {
      const servicePorts = new Map(ofKind('Service').map((service) => [service.metadata.name, service.spec.ports.map((port: { port: number }) => port.port)]));
      for (const deployment of ofKind('Deployment')) {
        for (const { name, value, valueFrom } of deployment.spec.template.spec.containers[0].env ?? []) {
          if (name.endsWith('_SERVICE_ADDR')) {
            const [host, port] = value.split(':');
            expect({ name, ports: servicePorts.get(host) }).toEqual({ name, ports: expect.arrayContaining([Number(port)]) });
          }
          if (name.endsWith('_SUBGRAPH_URL')) {
            const url = new URL(value);
            expect({ name, ports: servicePorts.get(url.hostname) }).toEqual({ name, ports: expect.arrayContaining([Number(url.port)]) });
          }
          if (valueFrom?.secretKeyRef && overlay === 'local') expect(names('Secret')).toContain(valueFrom.secretKeyRef.name);
        }
      }
      for (const route of [...ofKind('VirtualService'), ...ofKind('DestinationRule')]) {
        for (const host of route.kind === 'VirtualService' ? route.spec.hosts : [route.spec.host]) {
          if (host.includes('.')) continue; // the public host, served by the ingress gateway
          expect(servicePorts.has(host)).toBe(true);
        }
      }
      const accounts = names('ServiceAccount');
      for (const policy of ofKind('AuthorizationPolicy')) {
        for (const rule of policy.spec.rules ?? []) { // no rules: nobody may call (the processor)
          for (const principal of rule.from[0].source.principals) {
            if (principal === INGRESS_PRINCIPAL) continue;
            expect(principal).toMatch(new RegExp(`^cluster\\.local/ns/${NAMESPACE}/sa/`));
            expect(accounts).toContain(principal.split('/').pop());
          }
        }
      }
    });

    it('lets only the listed callers reach each method: payment\'s money calls only ride, subgraphs only the gateway', () => {
      const payment = ofKind('AuthorizationPolicy').find((policy) => policy.metadata.name === 'payment')!;
      const callersOf = (path: string) =>
        payment.spec.rules.filter((rule: any) => rule.to[0].operation.paths?.includes(path)).flatMap((rule: any) => rule.from[0].source.principals);
      expect(callersOf('/ecowheels.payment.v1.PaymentService/Authorize').sort()).toEqual([`cluster.local/ns/${NAMESPACE}/sa/operator`, `cluster.local/ns/${NAMESPACE}/sa/ride`]);
      expect(callersOf('/ecowheels.payment.v1.PaymentService/TopUpWallet')).toEqual([`cluster.local/ns/${NAMESPACE}/sa/operator`]);
      const subgraphRule = payment.spec.rules.find((rule: any) => rule.to[0].operation.ports[0] === '4004');
      expect(subgraphRule.from[0].source.principals).toEqual([`cluster.local/ns/${NAMESPACE}/sa/gateway`]);
      const gateway = ofKind('AuthorizationPolicy').find((policy) => policy.metadata.name === 'gateway')!;
      expect(gateway.spec.rules.map((rule: any) => rule.from[0].source.principals)).toEqual([[INGRESS_PRINCIPAL]]);
    });

    it('retries only calls that are safe to repeat, and never the subgraph routes', () => {
      for (const route of ofKind('VirtualService').flatMap((service) => service.spec.http)) {
        const path: string | undefined = route.match?.[0]?.uri?.exact;
        const method = path?.startsWith('/ecowheels.') ? path.split('/').pop() : undefined;
        if (!method) {
          expect(route.retries).toEqual({ attempts: 0 });
          continue;
        }
        const service = Object.values(MESH_POLICY).find((policy) => route.match[0].uri.exact.startsWith(`/${policy.grpcService}/`))!;
        const expected = service.methods[method].retry === 'never' ? 0 : 2;
        expect({ method, attempts: route.retries.attempts }).toEqual({ method, attempts: expected });
      }
    });
  });

  it('scales the telematics processor from zero on the JetStream consumer\'s lag, and leaves the stream to it in production', () => {
    if (kubectlMissing) return;
    const rendered = kustomize('production');
    const deployment = (name: string) => rendered.find((manifest) => manifest.kind === 'Deployment' && manifest.metadata.name === name)!;
    const env = (name: string) => Object.fromEntries(deployment(name).spec.template.spec.containers[0].env.filter((entry: { value?: string }) => entry.value !== undefined).map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    const [scaled] = rendered.filter((manifest) => manifest.kind === 'ScaledObject');
    expect(scaled.spec).toMatchObject({ scaleTargetRef: { name: 'telematics-processor' }, minReplicaCount: 0 });
    expect(scaled.spec.triggers[0]).toMatchObject({ type: 'nats-jetstream', metadata: { stream: STREAM, consumer: DURABLE } });
    expect(Number(scaled.spec.triggers[0].metadata.lagThreshold)).toBeGreaterThan(0);
    // KEDA owns the processor's replica count: the manifest sets none, and the replicas patch leaves it alone.
    expect(deployment('telematics-processor').spec.replicas).toBeUndefined();
    expect(env('telematics-processor')).toMatchObject({ TELEMATICS_ROLE: 'processor', TELEMATICS_BUS: expect.stringMatching(/^nats:\/\//), TELEMATICS_STREAM_REPLICAS: '3' });
    expect(env('telematics')).toMatchObject({ TELEMATICS_ROLE: 'api', TELEMATICS_BUS: env('telematics-processor').TELEMATICS_BUS });
    // The processors write the curated Parquet where the API's fleetImpact reads it: one bucket.
    expect(env('telematics-processor').TELEMATICS_WAREHOUSE_URL).toMatch(/^s3:\/\//);
    expect(env('telematics').TELEMATICS_WAREHOUSE_URL).toBe(env('telematics-processor').TELEMATICS_WAREHOUSE_URL);
    // The edge: devices' HTTPS batches into the stream, scaled on CPU, reached only through the ingress.
    expect(env('telematics-edge')).toMatchObject({ TELEMATICS_ROLE: 'edge', TELEMATICS_BUS: env('telematics-processor').TELEMATICS_BUS });
    const edgeScaler = rendered.find((manifest) => manifest.kind === 'HorizontalPodAutoscaler' && manifest.metadata.name === 'telematics-edge')!;
    expect(edgeScaler.spec).toMatchObject({ scaleTargetRef: { name: 'telematics-edge' }, minReplicas: 2 });
    const edgePolicy = rendered.find((manifest) => manifest.kind === 'AuthorizationPolicy' && manifest.metadata.name === 'telematics-edge')!;
    expect(edgePolicy.spec.rules).toEqual([
      { from: [{ source: { principals: [`cluster.local/ns/ecowheels/sa/operator`] } }], to: [{ operation: { ports: ['50055'], paths: ['/ecowheels.telematics.v1.TelematicsService/Ingest'] } }] },
      { from: [{ source: { principals: [expect.stringContaining('istio-ingressgateway')] } }], to: [{ operation: { ports: [String(deployment('telematics-edge').spec.template.spec.containers[0].ports[1].containerPort)] } }] },
    ]);
    expect(deployment('telematics-processor').spec.template.spec.tolerations).toEqual([expect.objectContaining({ key: 'ecowheels.dev/spot' })]);
    // The NATS cluster the stream's three copies need, with JetStream and the MQTT listener.
    const [values] = parse(readFileSync(join(MESH, 'overlays', 'production', 'nats', 'values.yaml'), 'utf8')) as unknown as { config: Record<string, { enabled: boolean; replicas?: number }> }[];
    expect(values.config).toMatchObject({ cluster: { enabled: true, replicas: 3 }, jetstream: { enabled: true }, mqtt: { enabled: true } });
  });

  it('runs the bus in operator mode: MQTT behind TLS, each telematics workload its own NATS user, KEDA in the application account', () => {
    if (kubectlMissing) return;
    const rendered = kustomize('production');
    const [values] = parse(readFileSync(join(MESH, 'overlays', 'production', 'nats', 'values.yaml'), 'utf8')) as unknown as { config: Record<string, unknown> }[];
    expect(values.config).toMatchObject({ mqtt: { enabled: true, tls: { enabled: true, secretName: expect.any(String) } }, merge: { $include: 'auth/resolver.conf' } });
    const pod = (name: string) => rendered.find((manifest) => manifest.kind === 'Deployment' && manifest.metadata.name === name)!.spec.template.spec;
    const secrets = { telematics: 'telematics-nats', 'telematics-edge': 'telematics-edge-nats', 'telematics-processor': 'telematics-processor-nats' };
    for (const [name, secret] of Object.entries(secrets)) {
      const env = Object.fromEntries(pod(name).containers[0].env.map((variable: { name: string; value?: string }) => [variable.name, variable.value]));
      expect(env.TELEMATICS_BUS_CREDS_FILE).toMatch(/\.creds$/);
      expect(pod(name).volumes).toContainEqual({ name: 'nats-credentials', secret: { secretName: secret, defaultMode: 0o400 } });
      // Only the API holds the registry's keys (it provisions and revokes bikes).
      expect(env.TELEMATICS_DEVICE_ISSUER_FILE !== undefined).toBe(name === 'telematics');
    }
    const scaled = rendered.find((manifest) => manifest.kind === 'ScaledObject')!;
    const accounts = readFileSync(join(MESH, 'overlays', 'production', 'nats', 'accounts.env'), 'utf8');
    expect(scaled.spec.triggers[0].metadata.account).not.toBe('$G');
    expect(accounts).toContain(`TELEMATICS_NATS_ACCOUNT=${scaled.spec.triggers[0].metadata.account}`);
  });

  it('gives every workload its resource class: requests and limits, priority, spot, and production\'s autoscaling bounds', () => {
    if (kubectlMissing) return;
    const rendered = kustomize('production');
    const ofKind = (kind: string) => rendered.filter((manifest) => manifest.kind === kind);
    const priorities = new Map(ofKind('PriorityClass').map((priority) => [priority.metadata.name, priority as unknown as { value: number; preemptionPolicy: string }]));
    for (const deployment of ofKind('Deployment')) {
      const name = deployment.metadata.name;
      const resourceClass = RESOURCE_CLASSES[WORKLOAD_CLASSES[name]];
      const pod = deployment.spec.template.spec;
      expect({ name, resources: pod.containers[0].resources, priority: pod.priorityClassName, spot: Boolean(pod.tolerations) }).toEqual({
        name,
        resources: { requests: resourceClass.requests, limits: resourceClass.limits },
        priority: resourceClass.priority.name,
        spot: resourceClass.spot,
      });
      expect(priorities.has(pod.priorityClassName)).toBe(true);
      // V8's heap is capped at half the container's memory, the rest left to native memory.
      const nodeOptions = pod.containers[0].env.find((entry: { name: string }) => entry.name === 'NODE_OPTIONS')?.value;
      expect({ name, nodeOptions }).toEqual({ name, nodeOptions: `--max-old-space-size=${Number.parseInt(resourceClass.limits.memory, 10) / 2}` });
      const hpa = ofKind('HorizontalPodAutoscaler').find((candidate) => candidate.spec.scaleTargetRef.name === name);
      const scaled = ofKind('ScaledObject').find((candidate) => candidate.spec.scaleTargetRef.name === name);
      // Each workload is scaled by exactly one of the two: CPU, or the stream's lag.
      expect({ name, hpa: Boolean(hpa), keda: Boolean(scaled) }).toEqual({ name, hpa: resourceClass.replicas.targetCpuPercent !== undefined, keda: resourceClass.replicas.targetCpuPercent === undefined });
      if (hpa) expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([resourceClass.replicas.min, resourceClass.replicas.max]);
    }
    // Payment outranks everything and is never on spot; batch work never preempts anyone.
    const payment = priorities.get(RESOURCE_CLASSES[WORKLOAD_CLASSES.payment].priority.name)!;
    expect(Math.max(...[...priorities.values()].map((priority) => priority.value))).toBe(payment.value);
    expect(RESOURCE_CLASSES[WORKLOAD_CLASSES.payment].spot).toBe(false);
    expect(priorities.get(RESOURCE_CLASSES.batch.priority.name)!.preemptionPolicy).toBe('Never');
  });

  it('promotes every workload that takes traffic as a canary on its own Istio routes, judged by the SLOs, with the routes\' timeouts and retries kept', () => {
    if (kubectlMissing) return;
    const rendered = kustomize('production');
    const base = kustomize('local');
    const find = (from: Manifest[], kind: string, name: string) => from.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
    const templates = new Map(rendered.filter((manifest) => manifest.kind === 'AnalysisTemplate').map((template) => [template.metadata.name, template]));
    const rollouts = rendered.filter((manifest) => manifest.kind === 'Rollout');
    expect(rollouts.map((rollout) => rollout.metadata.name).sort()).toEqual([...Object.keys(MESH_POLICY), 'gateway'].sort());
    for (const rollout of rollouts) {
      const name = rollout.metadata.name;
      const { workloadRef, strategy } = rollout.spec;
      // Its pods come from the Deployment's template; the Deployment runs none itself, the autoscaler scales the Rollout.
      expect(find(rendered, 'Deployment', workloadRef.name)!.spec.replicas).toBe(0);
      expect(rendered.find((manifest) => manifest.kind === 'HorizontalPodAutoscaler' && manifest.spec.scaleTargetRef.name === name)!.spec.scaleTargetRef.kind).toBe('Rollout');
      const { canaryService, stableService } = strategy.canary;
      const stable = find(rendered, 'Service', stableService)!;
      const canary = find(rendered, 'Service', canaryService)!;
      expect({ selector: canary.spec.selector, ports: canary.spec.ports }).toEqual({ selector: stable.spec.selector, ports: stable.spec.ports });
      expect(find(rendered, 'DestinationRule', canaryService)!.spec.trafficPolicy).toEqual(find(rendered, 'DestinationRule', stableService)!.spec.trafficPolicy);
      for (const { name: serviceName, routes } of strategy.canary.trafficRouting.istio.virtualServices) {
        const virtualService = find(rendered, 'VirtualService', serviceName)!;
        const before = find(base, 'VirtualService', serviceName)!;
        // Every route is Argo's to reweigh, and each is the same route as without canaries but for the second destination.
        expect(virtualService.spec.http.map((route: { name: string }) => route.name)).toEqual(routes);
        for (const [index, route] of virtualService.spec.http.entries()) {
          const { route: destinations, ...rest } = route;
          const { route: original, ...originalRest } = before.spec.http[index];
          expect(rest).toEqual(originalRest);
          expect(destinations).toEqual([
            { destination: original[0].destination, weight: 100 },
            { destination: { ...original[0].destination, host: canaryService }, weight: 0 },
          ]);
        }
      }
      // Judged from the first step by the SLOs' fast burn and by its own pods' errors, both templates there.
      expect(strategy.canary.analysis.startingStep).toBe(1);
      for (const { templateName } of strategy.canary.analysis.templates) {
        const template = templates.get(templateName)!;
        expect(template).toBeDefined();
        const given = strategy.canary.analysis.args.map((arg: { name: string }) => arg.name);
        for (const arg of template.spec.args ?? []) expect(given).toContain(arg.name);
      }
      expect(strategy.canary.steps.filter((step: object) => 'setWeight' in step).map((step: { setWeight: number }) => step.setWeight)).toEqual([10, 50]);
    }
    // Every SLO of alerts.ts judges every canary, at the paging alerts' fast burn.
    const burn = templates.get('slo-fast-burn')!.spec.metrics as { name: string; successCondition: string; provider: { prometheus: { query: string } } }[];
    expect(burn.map((metric) => metric.name)).toEqual(SLOS.map((slo) => slo.name.replaceAll('_', '-')));
    for (const [index, metric] of burn.entries()) expect(metric.successCondition).toBe(`all(result, {isNaN(#) || # <= ${Number((14.4 * (1 - SLOS[index].objective)).toFixed(4))}})`);
    // Every query parses (the metrics they read are held to a running stack's: test/telemetry/tracing.test.ts).
    for (const template of templates.values()) {
      for (const metric of template.spec.metrics) expect({ metric: metric.name, errors: parsePromql(metric.provider.prometheus.query.replace(/\{\{args\.[\w-]+\}\}/g, 'x')).errors }).toEqual({ metric: metric.name, errors: [] });
    }
  });

  it('prints the resource and database classes in docs/mesh.md as mesh-config/resources.ts has them', () => {
    const readme = readFileSync(join(ROOT, 'docs', 'mesh.md'), 'utf8');
    expect(readme).toContain(resourceClassTable());
    expect(readme).toContain(databaseClassTable());
  });
});
