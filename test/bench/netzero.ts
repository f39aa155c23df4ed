// `npm run netzero`: a day of fleet traffic for 10,000 bikes, replayed second by second through the
// telematics processor's KEDA scaling rules (mesh-config/resources.ts, the same numbers the
// ScaledObject is written from) and the throughput one processor measured, against an always-on
// deployment sized for the peak. It writes bench/netzero/report.md and its chart, chart.svg. Every
// factor is a setting with its source; the simulation is deterministic, so the committed report is
// checked for staleness like any generated file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESSOR_SCALING, RESOURCE_CLASSES } from '../../mesh-config/resources';

export interface NetZeroSettings {
  bikes: number;
  /** Readings per second from a bike in a ride, and from a parked one (its heartbeat). */
  ridingHz: number;
  parkedHz: number;
  /** Readings per second one processor takes. */
  processorReadingsPerSecond: number;
  /** From scaling up until the new processor takes work (scheduling, image, start). */
  podStartSeconds: number;
  /** Always-on sizing: the peak times this headroom, at least this many replicas (availability). */
  alwaysOnHeadroom: number;
  alwaysOnMinReplicas: number;
  /** Power per vCPU idle and at full load (W), per GB of memory (W), the data centre's PUE. */
  wattsPerVcpuIdle: number;
  wattsPerVcpuFull: number;
  wattsPerGb: number;
  pue: number;
  /** Grid intensity (g CO2e per kWh). */
  gridGramsPerKwh: number;
}

/** Each default, and where it comes from. */
export const DEFAULTS: Record<keyof NetZeroSettings, { value: number; source: string }> = {
  bikes: { value: 10_000, source: 'the issue: a fleet past one machine' },
  ridingHz: { value: 1, source: 'the simulator\'s rate (`npm run simulate -- --rate 1`), one GNSS fix a second' },
  parkedHz: { value: 1 / 60, source: 'assumed: a parked unit reports once a minute' },
  processorReadingsPerSecond: {
    value: 6_800,
    source: '`npm run bench:telematics`: one compiled processor draining a filled JetStream stream into PostgreSQL, heap capped as in production, on two shared cores',
  },
  podStartSeconds: { value: 10, source: 'assumed: a compiled service is ready in about 1 s here, plus scheduling and image' },
  alwaysOnHeadroom: { value: 1.5, source: 'assumed: the usual 50% headroom over the peak' },
  alwaysOnMinReplicas: { value: 2, source: 'production runs two of every always-on workload' },
  wattsPerVcpuIdle: { value: 0.74, source: 'Cloud Carbon Footprint methodology, AWS average minimum watts per vCPU' },
  wattsPerVcpuFull: { value: 3.5, source: 'Cloud Carbon Footprint methodology, AWS average maximum watts per vCPU' },
  wattsPerGb: { value: 0.392, source: 'Cloud Carbon Footprint methodology, memory watts per GB' },
  pue: { value: 1.135, source: 'Cloud Carbon Footprint methodology, AWS power usage effectiveness' },
  gridGramsPerKwh: { value: 250, source: 'the same grid factor as the ride impact (TELEMATICS_GRID_G_PER_KWH; README cites it)' },
};

/**
 * Share of the fleet in a ride at hour h (0–24): a night floor, a morning peak around 08:15 and a
 * longer evening peak around 17:45, as bike-share days look (an assumed shape, not data).
 */
export function ridingShare(hour: number): number {
  const peak = (centre: number, width: number, height: number) => height * Math.exp(-(((hour - centre) / width) ** 2) / 2);
  return 0.005 + peak(8.25, 1.0, 0.12) + peak(12.75, 1.8, 0.04) + peak(17.75, 1.5, 0.15);
}

export interface NetZeroResult {
  settings: NetZeroSettings;
  /** Per minute: readings per second arriving, KEDA's replicas, and the lag (s). */
  minutes: { arrivals: number; replicas: number; lagSeconds: number }[];
  peakArrivals: number;
  keda: { replicaHours: number; kwh: number; grams: number; peakLagSeconds: number; peakLagAt: number; hoursAtZero: number };
  alwaysOn: { replicas: number; replicaHours: number; kwh: number; grams: number };
}

export function simulateDay(settings: NetZeroSettings): NetZeroResult {
  const resources = RESOURCE_CLASSES.batch;
  const vcpu = Number.parseFloat(resources.requests.cpu) / (resources.requests.cpu.endsWith('m') ? 1000 : 1);
  const gb = Number.parseFloat(resources.requests.memory) / 1024; // Mi
  const watts = (utilisation: number) =>
    (vcpu * (settings.wattsPerVcpuIdle + utilisation * (settings.wattsPerVcpuFull - settings.wattsPerVcpuIdle)) + gb * settings.wattsPerGb) * settings.pue;
  const { pollingIntervalSeconds, cooldownSeconds, lagThreshold, activationLagThreshold } = PROCESSOR_SCALING;
  /** Readings per second arriving at a second of the day: the riding share at 1 Hz, the rest parked. */
  const arrivalsAt = (second: number) => {
    const share = ridingShare(second / 3600);
    return settings.bikes * (share * settings.ridingHz + (1 - share) * settings.parkedHz);
  };
  const { min, max } = resources.replicas;

  let backlog = 0;
  let wanted = 0; // what KEDA last asked for
  const starting: number[] = []; // seconds at which pods asked for become ready
  let ready = 0;
  let lastActive = -Infinity;
  const recentDesired: { at: number; replicas: number }[] = [];
  let replicaSeconds = 0;
  let joules = 0;
  let peakLag = 0;
  let peakLagAt = 0;
  let secondsAtZero = 0;
  const minutes: NetZeroResult['minutes'] = [];
  let minute = { arrivals: 0, replicas: 0, lagSeconds: 0 };
  let peakArrivals = 0;

  for (let second = 0; second < 86_400; second += 1) {
    const arrivals = arrivalsAt(second);
    peakArrivals = Math.max(peakArrivals, arrivals);
    backlog += arrivals;

    if (second % pollingIntervalSeconds === 0) {
      // KEDA: active while the lag is above the activation threshold; one replica per lagThreshold
      // waiting; down to zero only after the cooldown; the HPA's 5-minute stabilisation on the way down.
      if (backlog > activationLagThreshold) lastActive = second;
      const active = second - lastActive < cooldownSeconds;
      const desired = active ? Math.min(max, Math.max(1, min, Math.ceil(backlog / lagThreshold))) : min;
      recentDesired.push({ at: second, replicas: desired });
      while (recentDesired[0].at < second - 300) recentDesired.shift();
      const target = desired === 0 ? 0 : Math.max(...recentDesired.map((entry) => entry.replicas).filter((replicas) => replicas > 0), desired);
      if (target > wanted) for (let n = wanted; n < target; n += 1) starting.push(second + settings.podStartSeconds);
      if (target < wanted) {
        // Those still starting go first, then ready ones.
        let remove = wanted - target;
        while (remove > 0 && starting.length > 0) {
          starting.pop();
          remove -= 1;
        }
        ready -= remove;
      }
      wanted = target;
    }
    while (starting.length > 0 && starting[0] <= second) {
      starting.shift();
      ready += 1;
    }

    const capacity = ready * settings.processorReadingsPerSecond;
    const processed = Math.min(backlog, capacity);
    backlog -= processed;
    const lag = backlog / Math.max(arrivals, 1); // seconds of arrivals waiting
    if (lag > peakLag) [peakLag, peakLagAt] = [lag, second];
    replicaSeconds += wanted; // a starting pod costs too
    joules += ready * watts(capacity > 0 ? processed / capacity : 0) + (wanted - ready) * watts(0.5);
    if (wanted === 0) secondsAtZero += 1;

    minute.arrivals += arrivals / 60;
    minute.replicas = Math.max(minute.replicas, wanted);
    minute.lagSeconds = Math.max(minute.lagSeconds, lag);
    if (second % 60 === 59) {
      minutes.push(minute);
      minute = { arrivals: 0, replicas: 0, lagSeconds: 0 };
    }
  }

  const alwaysOnReplicas = Math.max(settings.alwaysOnMinReplicas, Math.ceil((peakArrivals * settings.alwaysOnHeadroom) / settings.processorReadingsPerSecond));
  let alwaysOnJoules = 0;
  for (let second = 0; second < 86_400; second += 1) {
    const arrivals = arrivalsAt(second);
    alwaysOnJoules += alwaysOnReplicas * watts(arrivals / (alwaysOnReplicas * settings.processorReadingsPerSecond));
  }
  const kwh = (joulesTotal: number) => joulesTotal / 3.6e6;
  return {
    settings,
    minutes,
    peakArrivals,
    keda: {
      replicaHours: replicaSeconds / 3600,
      kwh: kwh(joules),
      grams: kwh(joules) * settings.gridGramsPerKwh,
      peakLagSeconds: peakLag,
      peakLagAt,
      hoursAtZero: secondsAtZero / 3600,
    },
    alwaysOn: { replicas: alwaysOnReplicas, replicaHours: alwaysOnReplicas * 24, kwh: kwh(alwaysOnJoules), grams: kwh(alwaysOnJoules) * settings.gridGramsPerKwh },
  };
}

/** The chart: readings per second (line) and KEDA's processors (steps) over the day, as SVG. */
export function renderChart(result: NetZeroResult): string {
  const width = 720;
  const height = 260;
  const left = 60;
  const bottom = 30;
  const plotWidth = width - left - 60;
  const plotHeight = height - bottom - 20;
  const x = (minute: number) => left + (minute / 1440) * plotWidth;
  const maxArrivals = Math.ceil(result.peakArrivals / 500) * 500;
  const maxReplicas = Math.max(2, ...result.minutes.map((m) => m.replicas));
  const yArrivals = (value: number) => 20 + plotHeight - (value / maxArrivals) * plotHeight;
  const yReplicas = (value: number) => 20 + plotHeight - (value / maxReplicas) * plotHeight;
  // Arrivals every five minutes; the processors as steps, a point where their number changes.
  const arrivals = result.minutes
    .filter((_m, i) => i % 5 === 0 || i === result.minutes.length - 1)
    .map((m, i, sampled) => `${x(i === sampled.length - 1 ? result.minutes.length - 1 : i * 5).toFixed(1)},${yArrivals(m.arrivals).toFixed(1)}`)
    .join(' ');
  const steps: string[] = [];
  result.minutes.forEach((m, i) => {
    if (i === 0 || m.replicas !== result.minutes[i - 1].replicas) {
      if (i > 0) steps.push(`${x(i).toFixed(1)},${yReplicas(result.minutes[i - 1].replicas).toFixed(1)}`);
      steps.push(`${x(i).toFixed(1)},${yReplicas(m.replicas).toFixed(1)}`);
    }
  });
  steps.push(`${x(result.minutes.length).toFixed(1)},${yReplicas(result.minutes[result.minutes.length - 1].replicas).toFixed(1)}`);
  const replicas = steps.join(' ');
  const hours = [0, 3, 6, 9, 12, 15, 18, 21, 24]
    .map((h) => `<text x="${x(h * 60).toFixed(1)}" y="${height - 10}" text-anchor="middle">${String(h).padStart(2, '0')}:00</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="Readings per second and telematics processors over one day">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<line x1="${left}" y1="${20 + plotHeight}" x2="${left + plotWidth}" y2="${20 + plotHeight}" stroke="#888"/>`,
    hours,
    `<text x="${left - 6}" y="${yArrivals(maxArrivals) + 4}" text-anchor="end" fill="#1f6feb">${maxArrivals}/s</text>`,
    `<text x="${left - 6}" y="${yArrivals(0) + 4}" text-anchor="end" fill="#1f6feb">0</text>`,
    `<text x="${left + plotWidth + 6}" y="${yReplicas(maxReplicas) + 4}" fill="#2da44e">${maxReplicas} processors</text>`,
    `<text x="${left + plotWidth + 6}" y="${yReplicas(0) + 4}" fill="#2da44e">0</text>`,
    `<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${arrivals}"/>`,
    `<polyline fill="none" stroke="#2da44e" stroke-width="2" points="${replicas}"/>`,
    `<text x="${left + 8}" y="14" fill="#1f6feb">readings per second arriving</text>`,
    `<text x="${left + 220}" y="14" fill="#2da44e">processors KEDA runs</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export function renderReport(result: NetZeroResult): string {
  const round = (value: number, digits = 1) => value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const saved = 1 - result.keda.replicaHours / result.alwaysOn.replicaHours;
  const clock = (second: number) => `${String(Math.floor(second / 3600)).padStart(2, '0')}:${String(Math.floor((second % 3600) / 60)).padStart(2, '0')}`;
  const settings = (Object.keys(DEFAULTS) as (keyof NetZeroSettings)[]).map((key) => {
    const value = result.settings[key];
    return `| \`${key}\` | ${round(value, Number.isInteger(value) ? 0 : value < 1 ? 4 : 3)} | ${DEFAULTS[key].source} |`;
  });
  return `# Net zero: the telematics processor over one day

Generated by \`npm run netzero\` (test/bench/netzero.ts); do not edit. A day of
${result.settings.bikes.toLocaleString('en')} bikes, second by second, through the processor's KEDA rules (${PROCESSOR_SCALING.pollingIntervalSeconds} s polling,
one processor per ${PROCESSOR_SCALING.lagThreshold.toLocaleString('en')} readings waiting, active above ${PROCESSOR_SCALING.activationLagThreshold} waiting, ${PROCESSOR_SCALING.cooldownSeconds} s cooldown, the HPA's
5-minute stabilisation on the way down), against an always-on deployment sized for the peak.

![Readings per second and processors over the day](chart.svg)

| | KEDA, from zero | always on, sized for the peak |
| --- | --- | --- |
| processors | 0 to ${Math.max(...result.minutes.map((m) => m.replicas))} | ${result.alwaysOn.replicas} |
| processor-hours | ${round(result.keda.replicaHours)} | ${round(result.alwaysOn.replicaHours)} |
| energy (kWh, with PUE) | ${round(result.keda.kwh, 3)} | ${round(result.alwaysOn.kwh, 3)} |
| CO2e (g) | ${round(result.keda.grams)} | ${round(result.alwaysOn.grams)} |
| hours at zero processors | ${round(result.keda.hoursAtZero)} | 0 |
| peak lag (s of arrivals waiting) | ${round(result.keda.peakLagSeconds)} | under 1 |

Peak arrivals: ${round(result.peakArrivals, 0)} readings/s. Processor-hours saved: ${round(saved * 100, 0)}%. The peak
lag was at ${clock(result.keda.peakLagAt)}, ${result.keda.peakLagAt < 60 ? 'while the day\'s first processor started from zero' : 'under load'}.

What this says: at one fix a second, one processor takes a 10,000-bike fleet's peak many times
over, so the saving is in the hours nobody needs one. With any waiting reading waking a processor
(activation 0), parked bikes' heartbeats keep one awake through the night; a higher activation
threshold, or heartbeats batched by the units, would let the night run at zero at the price of
readings waiting longer.

Settings (each a field of \`NetZeroSettings\`; \`npm run netzero -- --bikes 50000\` and so on):

| setting | value | source |
| --- | --- | --- |
${settings.join('\n')}

The processor's resources come from its class in mesh-config/resources.ts (${RESOURCE_CLASSES.batch.requests.cpu} CPU, ${RESOURCE_CLASSES.batch.requests.memory} requested);
power is the Cloud Carbon Footprint estimate: idle watts plus utilisation times the span to full,
per vCPU, plus memory, times PUE.
`;
}

function settingsFromArgs(argv: string[]): NetZeroSettings {
  const settings = Object.fromEntries(Object.entries(DEFAULTS).map(([key, { value }]) => [key, value])) as unknown as NetZeroSettings;
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof NetZeroSettings;
    const value = Number(argv[i + 1]);
    if (!(key in DEFAULTS) || !Number.isFinite(value) || value < 0) throw new Error(`${argv[i]} ${argv[i + 1]}: settings are ${Object.keys(DEFAULTS).join(', ')}, each a number`);
    settings[key] = value;
  }
  return settings;
}

export const REPORT_DIR = join(__dirname, '..', '..', 'bench', 'netzero');

if (require.main === module) {
  const result = simulateDay(settingsFromArgs(process.argv.slice(2)));
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(join(REPORT_DIR, 'report.md'), renderReport(result));
  writeFileSync(join(REPORT_DIR, 'chart.svg'), renderChart(result));
  console.log(`wrote bench/netzero/report.md and chart.svg: ${result.keda.replicaHours.toFixed(1)} processor-hours against ${result.alwaysOn.replicaHours} always on; peak lag ${result.keda.peakLagSeconds.toFixed(1)} s`);
}
