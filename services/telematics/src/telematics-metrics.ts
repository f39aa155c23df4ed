// The telematics service's metrics, as OpenTelemetry instruments (scraped at /metrics): readings
// received, accepted, duplicate and rejected by door and rule, what the track rules dropped and
// flagged, bytes written to the raw zone, refused device logins and publishes, devices provisioned
// and revoked, the stream's backlog as the processor sees it, and ingest lag.
import { lazyCounter, lazyGauge, lazyHistogram } from '../../platform/src/telemetry/tracing';
import type { CurationMetrics } from './domain/curation';
import type { DeviceMetrics } from './domain/device-registry';
import type { IngestMetrics } from './domain/ingest-pipeline';

const received = lazyCounter('telematics.readings.received', 'Inputs received, by door');
const accepted = lazyCounter('telematics.readings.accepted', 'Readings taken in for the first time, by door');
const duplicate = lazyCounter('telematics.readings.duplicate', 'Readings received again, counted once, by door');
const rejected = lazyCounter('telematics.readings.rejected', 'Inputs refused, by door and rule');
const dropped = lazyCounter('telematics.readings.dropped', 'Accepted readings the track rules kept out of the clean track, by rule');
const curated = lazyCounter('telematics.readings.curated', 'Points written to the curated zone, measured or filled');
const flagged = lazyCounter('telematics.readings.flagged', 'Curated points carrying a flag, by flag');
const rawBytes = lazyCounter('telematics.raw_zone.bytes', 'Bytes appended to the raw zone', 'By');
const lag = lazyHistogram('telematics.ingest.lag', 'From a reading being recorded on the bike to its being curated', 's');
export const recordRefusedDevice = lazyCounter('telematics.devices.refused', 'Device logins and publishes refused, by door and reason');
const provisioned = lazyCounter('telematics.devices.provisioned', 'Device credentials issued, by whether they replaced one (rotate)');
const revoked = lazyCounter('telematics.devices.revoked', 'Device credentials revoked (their bus users put on the revocation list)');
/** Messages waiting in the processor's durable consumer (pending and unacknowledged), as it last read them. */
export const recordConsumerPending = lazyGauge('telematics.bus.consumer_pending', "Messages waiting in the processor's durable consumer (num_pending + num_ack_pending)");

export const deviceMetrics: DeviceMetrics = {
  provisioned: (rotate) => provisioned(1, { rotate }),
  revoked: () => revoked(1),
};

/**
 * The device counters that alerts and dashboards read, exported at zero from the start (a counter
 * never added to is not exported); the bus's refusals only where this process mints bus users.
 */
export function zeroDeviceMetrics(options: { bus: boolean }): void {
  provisioned(0, { rotate: false });
  provisioned(0, { rotate: true });
  revoked(0);
  if (options.bus) for (const reason of ['bad_credentials', 'expired', 'revoked']) recordRefusedDevice(0, { door: 'nats', reason });
}

export const ingestMetrics: IngestMetrics = {
  received: (door, count) => received(count, { door }),
  accepted: (door, count) => accepted(count, { door }),
  duplicate: (door, count) => duplicate(count, { door }),
  rejected: (door, rule, count) => rejected(count, { door, rule }),
  rawBytes: (bytes) => rawBytes(bytes),
};

const leaseTakeovers = lazyCounter('telematics.cleaner.lease_takeovers', "Cleaning shards taken over after their holder's lease ran out (it died or stalled), by shard");
const fencedCommits = lazyCounter('telematics.cleaner.fenced_commits', 'Cleaning batches refused at commit because their lease had passed to another processor, by shard');
const shardHandovers = lazyCounter('telematics.cleaner.shard_handovers', 'Cleaning shards passed from one processor to another, by shard and reason (released, expired)');

export const curationMetrics: CurationMetrics = {
  curated(points, now) {
    let filled = 0;
    const flags = new Map<string, number>();
    for (const point of points) {
      if (point.filled) filled += 1;
      else lag((now.getTime() - point.reading.recordedAt.getTime()) / 1000, {});
      for (const flag of point.flags) flags.set(flag, (flags.get(flag) ?? 0) + 1);
    }
    if (points.length > filled) curated(points.length - filled, { filled: false });
    if (filled) curated(filled, { filled: true });
    for (const [flag, n] of flags) flagged(n, { flag });
  },
  dropped: (rule) => dropped(1, { rule }),
  leaseTakeover: (shard) => leaseTakeovers(1, { shard }),
  fencedCommit: (shard) => fencedCommits(1, { shard }),
  shardHandover: (shard, reason) => shardHandovers(1, { shard, reason }),
  shardsKnown: (count) => {
    for (let shard = 0; shard < count; shard += 1) {
      leaseTakeovers(0, { shard });
      fencedCommits(0, { shard });
      for (const reason of ['released', 'expired']) shardHandovers(0, { shard, reason });
    }
  },
};
