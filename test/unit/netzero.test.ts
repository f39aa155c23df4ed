// `npm run netzero`: the committed report is what the simulation writes (run it if this fails),
// and the simulation keeps to the scaling rules it models.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, REPORT_DIR, renderChart, renderReport, simulateDay, type NetZeroSettings } from '../bench/netzero';
import { PROCESSOR_SCALING, RESOURCE_CLASSES } from '../../mesh-config/resources';

const defaults = Object.fromEntries(Object.entries(DEFAULTS).map(([key, { value }]) => [key, value])) as unknown as NetZeroSettings;

describe('net-zero simulation', () => {
  const result = simulateDay(defaults);

  it('is what bench/netzero holds (run `npm run netzero` if this fails)', () => {
    expect(readFileSync(join(REPORT_DIR, 'report.md'), 'utf8')).toBe(renderReport(result));
    expect(readFileSync(join(REPORT_DIR, 'chart.svg'), 'utf8')).toBe(renderChart(result));
  });

  it('uses fewer processor-hours than always on, within the class\'s bounds, and keeps up with the day', () => {
    expect(result.keda.replicaHours).toBeLessThan(result.alwaysOn.replicaHours);
    expect(Math.max(...result.minutes.map((minute) => minute.replicas))).toBeLessThanOrEqual(RESOURCE_CLASSES.batch.replicas.max);
    expect(result.keda.peakLagSeconds).toBeLessThan(PROCESSOR_SCALING.cooldownSeconds);
    expect(result.minutes).toHaveLength(1440);
  });

  it('scales out when one processor cannot keep up, and back to zero when nothing arrives', () => {
    const busy = simulateDay({ ...defaults, bikes: 200_000, processorReadingsPerSecond: 5_000 });
    expect(Math.max(...busy.minutes.map((minute) => minute.replicas))).toBeGreaterThan(1);
    // A fleet that sends nothing needs no processor at all (a trickle, however thin, keeps one awake
    // under activation 0: the report says so).
    const quiet = simulateDay({ ...defaults, ridingHz: 0, parkedHz: 0 });
    expect([quiet.keda.hoursAtZero, quiet.keda.replicaHours]).toEqual([24, 0]);
  });
});
