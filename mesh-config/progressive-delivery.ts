// Production's canaries: each workload that takes traffic is promoted by Argo Rollouts, which shifts
// a share of its Istio traffic to the new version step by step and judges it by the SLOs as it goes.
// `npm run mesh` writes, into mesh-config/overlays/production/canary/ (a kustomize Component, so
// that its patches reach the base's VirtualServices and Deployments):
//   <workload>-rollout.yaml        a Rollout that takes its pod template from the workload's
//                                  Deployment (workloadRef), with the steps and the analysis below
//   <workload>-canary.yaml         the canary's Service and DestinationRule (host-level splitting:
//                                  the stable Service keeps its name, the canary's is <name>-canary)
//   <workload>-routes.yaml         a patch giving every route of the workload's VirtualService both
//                                  destinations, stable at 100 and canary at 0, for Argo to reweigh;
//                                  the routes' timeouts and retries stay those of policy.ts
//   analysis-templates.yaml        what judges a canary (below)
// and sets each such Deployment's own replicas to 0: the Rollout owns the pods, and production's
// autoscaler scales the Rollout (manifests.ts).
// Why Argo Rollouts and not Flagger: Flagger generates and owns the VirtualService, with one route,
// one timeout and one retry policy for the whole service. Argo reweighs the named routes of ours,
// so each method keeps its own timeout and its retries (or none, for the money calls).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { errorRatio, FAST_BURN, sloNamed, SLOS } from './alerts';
import { NAMESPACE } from './policy';

/** Where the cluster's Prometheus answers (kube-prometheus-stack's Service), for the analysis. */
export const PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090';

/** The availability objective a canary's own errors are held to (api_availability's), at the paging alerts' fast burn (alerts.ts): a canary may not burn the budget faster. */
const CANARY_ERROR_RATIO = Number((FAST_BURN * (1 - sloNamed('api_availability').objective)).toFixed(4));

/** Our fault among gRPC statuses (platform/errors.ts, isOurFault): UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
const OUR_GRPC_STATUSES = '2|4|13|14|15';

/**
 * 10% of the traffic for 5 minutes, then 50% for 5 more, then all of it. The analysis runs in the
 * background from the first step; a failed measurement aborts: the weight goes back to 0, the
 * canary's pods go, and the Rollout is Degraded (the delivery workflow then undoes the image).
 */
const STEPS = [{ setWeight: 10 }, { pause: { duration: '5m' } }, { setWeight: 50 }, { pause: { duration: '5m' } }];

/** A measurement that passes when every series of the result is at most `limit` (none, or NaN for no traffic, passes). */
const atMost = (limit: number) => `all(result, {isNaN(#) || # <= ${limit}})`;

interface Route {
  name: string;
  route: { destination: { host: string; port: { number: number } }; weight?: number }[];
}
interface VirtualService {
  metadata: { name: string };
  spec: { http: Route[] };
}

const canaryName = (name: string) => `${name}-canary`;

function measurement(name: string, query: string, limit: number) {
  return { name, interval: '1m', failureLimit: 0, successCondition: atMost(limit), provider: { prometheus: { address: PROMETHEUS_URL, query } } };
}

/**
 * What judges a canary:
 * - slo-fast-burn: every SLO of alerts.ts, over the last 5 minutes, burning its budget no faster
 *   than the paging alerts allow (14.4 times): a canary that breaks ride starts or freshness
 *   anywhere in the system stops here, whichever workload it is;
 * - canary-grpc-errors / canary-graphql-errors: the canary's own pods (by the pod-template hash
 *   Argo labels them with, which Prometheus keeps as `rollouts_pod_template_hash`) answering with
 *   our fault no more often than the availability budget's fast burn allows.
 */
export function analysisTemplates(): object[] {
  const canaryArgs = [{ name: 'job' }, { name: 'canary-hash' }];
  const canaryPods = 'job="{{args.job}}",rollouts_pod_template_hash="{{args.canary-hash}}"';
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'slo-fast-burn', namespace: NAMESPACE },
      spec: {
        metrics: SLOS.map((slo) =>
          measurement(slo.name.replaceAll('_', '-'), errorRatio(slo, '5m'), Number((FAST_BURN * (1 - slo.objective)).toFixed(4))),
        ),
      },
    },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'canary-grpc-errors', namespace: NAMESPACE },
      spec: {
        args: canaryArgs,
        metrics: [
          measurement(
            'canary-grpc-errors',
            `sum(rate(rpc_server_duration_count{${canaryPods},rpc_grpc_status_code=~"${OUR_GRPC_STATUSES}"}[2m])) / sum(rate(rpc_server_duration_count{${canaryPods}}[2m]))`,
            CANARY_ERROR_RATIO,
          ),
        ],
      },
    },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'canary-graphql-errors', namespace: NAMESPACE },
      spec: {
        args: canaryArgs,
        metrics: [
          measurement(
            'canary-graphql-errors',
            `sum(rate(graphql_server_request_duration_count{${canaryPods},error_type=~"INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE|TIMEOUT"}[2m])) / sum(rate(graphql_server_request_duration_count{${canaryPods}}[2m]))`,
            CANARY_ERROR_RATIO,
          ),
        ],
      },
    },
  ];
}

/** Every route of the VirtualService with both destinations: the stable Service at 100, the canary's at 0. */
function withCanaryDestinations(virtualService: VirtualService, stable: string) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: virtualService.metadata.name, namespace: NAMESPACE },
    spec: {
      http: virtualService.spec.http.map((route) => {
        const [destination] = route.route;
        if (route.route.length !== 1 || destination.destination.host !== stable) throw new Error(`route ${route.name} of ${virtualService.metadata.name} should go to ${stable} alone`);
        return {
          ...route,
          route: [
            { destination: destination.destination, weight: 100 },
            { destination: { ...destination.destination, host: canaryName(stable) }, weight: 0 },
          ],
        };
      }),
    },
  };
}

function rollout(name: string, virtualService: VirtualService, minReplicas: number, templates: string[]) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: {
      // The autoscaler (production's HPA) sets it from here on.
      replicas: minReplicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { app: name } },
      // The pod template stays the Deployment's (the base's, with the overlays' patches): a new image
      // set on the Deployment is what starts a canary. Its own replicas are 0 in production.
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name, scaleDown: 'progressively' },
      strategy: {
        canary: {
          canaryService: canaryName(name),
          stableService: name,
          trafficRouting: { istio: { virtualServices: [{ name: virtualService.metadata.name, routes: virtualService.spec.http.map((route) => route.name) }] } },
          steps: STEPS,
          analysis: {
            templates: templates.map((templateName) => ({ templateName })),
            startingStep: 1,
            args: [
              { name: 'job', value: name },
              { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
            ],
          },
        },
      },
    },
  };
}

/**
 * The canary files of every workload that takes traffic, from the base's files (`files`, as
 * manifests.ts built them). The gateway's traffic comes through the public VirtualService.
 */
export function canaryFiles(files: Record<string, unknown>, workloads: string[], minReplicas: (name: string) => number, root: string): Record<string, object | object[]> {
  const dir = 'mesh-config/overlays/production/canary';
  const out: Record<string, object | object[]> = {};
  const patches: { path: string }[] = [];
  const resources = ['analysis-templates.yaml'];
  out[`${dir}/analysis-templates.yaml`] = analysisTemplates();
  for (const name of workloads) {
    const virtualService = (
      name === 'gateway' ? parse(readFileSync(join(root, 'mesh-config', 'base', 'mesh', 'virtual-service-public-graphql.yaml'), 'utf8')) : files[`mesh-config/base/${name}/virtual-service.yaml`]
    ) as VirtualService;
    const service = files[`mesh-config/base/${name}/service.yaml`] as { metadata: { name: string; labels: object }; spec: object };
    const destinationRule = files[`mesh-config/base/${name}/destination-rule.yaml`] as { metadata: { name: string; labels: object }; spec: { host: string } };
    out[`${dir}/${name}-canary.yaml`] = [
      { ...service, metadata: { ...service.metadata, name: canaryName(name), namespace: NAMESPACE } },
      { ...destinationRule, metadata: { ...destinationRule.metadata, name: canaryName(name), namespace: NAMESPACE }, spec: { ...destinationRule.spec, host: canaryName(name) } },
    ];
    out[`${dir}/${name}-rollout.yaml`] = rollout(name, virtualService, minReplicas(name), ['slo-fast-burn', name === 'gateway' ? 'canary-graphql-errors' : 'canary-grpc-errors']);
    out[`${dir}/${name}-routes.yaml`] = withCanaryDestinations(virtualService, name);
    resources.push(`${name}-canary.yaml`, `${name}-rollout.yaml`);
    patches.push({ path: `${name}-routes.yaml` });
  }
  out[`${dir}/kustomization.yaml`] = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    resources,
    patches: [
      ...patches,
      { patch: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 0 }]), target: { kind: 'Deployment', labelSelector: `app in (${workloads.join(',')})` } },
    ],
  };
  return out;
}
