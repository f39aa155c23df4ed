// The one source of what each workload may use: its resource class (requests and limits, how far
// it scales, how important it is to the scheduler, and whether it may run on spot capacity), and
// each service's database capacity class. `npm run mesh` turns the workload classes into the
// Deployments' resources and priority, PriorityClasses, and production's autoscalers; docs/mesh.md
// prints both tables from here.

export type ResourceClassName = 'critical' | 'latency' | 'standard' | 'batch';

export interface ResourceClass {
  /** Why a workload is in this class, for the README. */
  purpose: string;
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
  /** The PriorityClass its pods get: the higher, the later they are evicted or preempted. */
  priority: { name: string; value: number; preempts: boolean };
  /** Replicas in production: a HorizontalPodAutoscaler on CPU, or (batch) KEDA on the stream's lag. */
  replicas: { min: number; max: number; targetCpuPercent?: number };
  /** May run on spot (preemptible) nodes, tainted ecowheels.dev/spot=true. */
  spot: boolean;
}

export const RESOURCE_CLASSES: Record<ResourceClassName, ResourceClass> = {
  critical: {
    purpose: 'money: never preempted, never on spot, always two replicas',
    requests: { cpu: '250m', memory: '256Mi' },
    limits: { cpu: '1', memory: '512Mi' },
    priority: { name: 'ecowheels-critical', value: 1_000_000, preempts: true },
    replicas: { min: 2, max: 4, targetCpuPercent: 60 },
    spot: false,
  },
  latency: {
    purpose: 'what a rider waits on: more CPU, scaled early',
    requests: { cpu: '500m', memory: '256Mi' },
    limits: { cpu: '2', memory: '512Mi' },
    priority: { name: 'ecowheels-latency', value: 100_000, preempts: true },
    replicas: { min: 2, max: 10, targetCpuPercent: 60 },
    spot: false,
  },
  standard: {
    purpose: 'everything else the API needs',
    requests: { cpu: '100m', memory: '256Mi' },
    limits: { cpu: '1', memory: '512Mi' },
    priority: { name: 'ecowheels-standard', value: 10_000, preempts: true },
    replicas: { min: 2, max: 6, targetCpuPercent: 75 },
    spot: false,
  },
  batch: {
    purpose: 'work that may wait and be redone: small, on spot, from zero',
    requests: { cpu: '250m', memory: '192Mi' },
    limits: { cpu: '1', memory: '384Mi' },
    priority: { name: 'ecowheels-batch', value: 1_000, preempts: false },
    replicas: { min: 0, max: 12 },
    spot: true,
  },
};

/**
 * The NODE_OPTIONS a workload runs with: V8's heap capped at half its memory limit, so garbage is
 * collected before the container nears its limit (V8 sizes its heap from the machine, not from the
 * container's cgroup), and the other half is left to native memory: DuckDB, TLS, sockets, buffers.
 * The telematics benchmark runs the processor with these options and reports its peak RSS.
 */
export function nodeOptionsFor(workload: string): string {
  const limit = RESOURCE_CLASSES[WORKLOAD_CLASSES[workload]].limits.memory;
  const mebibytes = /^(\d+)Mi$/.exec(limit);
  if (!mebibytes) throw new Error(`${workload}'s memory limit ${limit} is not in Mi`);
  return `--max-old-space-size=${Math.floor(Number(mebibytes[1]) / 2)}`;
}

/**
 * How KEDA scales the telematics processor on the JetStream consumer's lag (the ScaledObject is
 * written from this, and `npm run netzero` simulates it):
 * - one processor more per 5,000 readings waiting: under a second of one processor's measured
 *   6,800 readings/s from the stream into PostgreSQL, so the lag stays about a second at any load
 *   up to the maximum;
 * - any waiting reading wakes the first one (activation 0): rides need their tracks within seconds;
 * - five quiet minutes before the last one goes, so a lull between rides does not stop and start it.
 */
export const PROCESSOR_SCALING = { pollingIntervalSeconds: 10, lagThreshold: 5000, activationLagThreshold: 0, cooldownSeconds: 300 };

export const WORKLOAD_CLASSES: Record<string, ResourceClassName> = {
  gateway: 'latency',
  ride: 'latency',
  payment: 'critical',
  user: 'standard',
  inventory: 'standard',
  telematics: 'standard',
  'telematics-edge': 'standard',
  'telematics-processor': 'batch',
};

/**
 * Each service's database, as production provisions it (a managed PostgreSQL per service; the
 * overlay only holds each one's URL in a Secret). Sized from what each stores and how it is used.
 */
export const DATABASE_CLASSES: Record<string, { class: string; vcpu: number; memoryGiB: number; storageGiB: number; standby: string; why: string }> = {
  payment: { class: 'ledger', vcpu: 2, memoryGiB: 4, storageGiB: 50, standby: 'synchronous, point-in-time recovery', why: 'money: no committed write may be lost' },
  ride: { class: 'transactional', vcpu: 2, memoryGiB: 4, storageGiB: 50, standby: 'asynchronous', why: 'every start and end, and the recovery sweep' },
  user: { class: 'small', vcpu: 1, memoryGiB: 2, storageGiB: 10, standby: 'asynchronous', why: 'riders and keys: few writes, cached reads' },
  inventory: { class: 'small', vcpu: 1, memoryGiB: 2, storageGiB: 10, standby: 'asynchronous', why: 'bikes and stations; positions throttled per bike' },
  telematics: { class: 'write-heavy', vcpu: 2, memoryGiB: 8, storageGiB: 200, standby: 'asynchronous', why: 'every reading once, the clean track and the ride totals' },
};

/** docs/mesh.md's table of workload classes (a test keeps the page equal to it). */
export function resourceClassTable(): string {
  const rows = Object.entries(WORKLOAD_CLASSES).map(([workload, className]) => {
    const c = RESOURCE_CLASSES[className];
    const replicas = c.replicas.targetCpuPercent === undefined ? `${c.replicas.min}–${c.replicas.max} (KEDA, stream lag)` : `${c.replicas.min}–${c.replicas.max} (CPU ${c.replicas.targetCpuPercent}%)`;
    return `| \`${workload}\` | ${className} | ${c.requests.cpu} / ${c.requests.memory} | ${c.limits.cpu} / ${c.limits.memory} | ${replicas} | ${c.priority.name} (${c.priority.value.toLocaleString('en')}${c.priority.preempts ? '' : ', never preempts'}) | ${c.spot ? 'yes' : 'no'} |`;
  });
  return ['| workload | class | requests (CPU / memory) | limits | replicas in production | priority | spot |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** docs/mesh.md's table of database classes. */
export function databaseClassTable(): string {
  const rows = Object.entries(DATABASE_CLASSES).map(
    ([service, d]) => `| ${service} | ${d.class} | ${d.vcpu} vCPU, ${d.memoryGiB} GiB | ${d.storageGiB} GiB | ${d.standby} | ${d.why} |`,
  );
  return ['| database | class | size | storage | standby | why |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
