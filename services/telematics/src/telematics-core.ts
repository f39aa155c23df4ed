// The telematics service's parts that do not face the network, wired once: the store, the raw
// zone (a folder, or S3), the warehouse, device credentials, the ingest pipeline and the cleaner.
// The service's main puts the doors in front of it; the replay tool drives it directly.
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Database } from '../../platform/src/database/database';
import type { Logger } from '../../platform/src/logger';
import type { TelematicsConfig } from './config';
import { Curation, type CuratedListener } from './domain/curation';
import { DeviceRegistry } from './domain/device-registry';
import { IngestPipeline } from './domain/ingest-pipeline';
import { RecentIngest } from './domain/recent-ingest';
import { BATCH_LIMIT } from './domain/reading';
import { RideImpacts } from './domain/ride-impacts';
import { TelematicsStore } from './store/telematics-store';
import { decodePayload } from './doors/reading-payloads';
import { curationMetrics, deviceMetrics, ingestMetrics, recordRefusedDevice, zeroDeviceMetrics } from './telematics-metrics';
import { DeviceCredentialStore } from './store/device-credential-store';
import { LocalCuratedFiles, type CuratedFiles } from './zones/curated-files';
import { CuratedWarehouse } from './store/curated-warehouse';
import { FileZoneStore } from './zones/file-zone-store';
import type { ZoneStore } from './zones/zone-store';

/**
 * The device cache: known bikes (about a fleet's worth) are trusted for 15 s before they are read
 * again, so a rotation or revocation on another replica reaches the HTTPS door within that; unknown
 * ids are remembered for 5 s, each costing one query per window, in a cache of their own.
 */
const DEVICE_CACHE = { knownMax: 100_000, knownMs: 15_000, unknownMax: 100_000, unknownMs: 5_000 };

export interface TelematicsCore {
  store: TelematicsStore;
  zone: ZoneStore;
  warehouse: CuratedWarehouse;
  devices: DeviceRegistry;
  pipeline: IngestPipeline;
  curation: Curation;
  impacts: RideImpacts;
  /** Ingestion right now, for the operations dashboard. */
  recent: RecentIngest;
  /** Adds a listener told of every committed cleaning batch. */
  onCurated(listener: CuratedListener): void;
  /** Starts the cleaner: it cleans up after a crash and cleans whatever waits. */
  start(): void;
  /** Flushes what is in flight, finishes the cleaning run in progress, closes the zone and warehouse. */
  stop(): Promise<void>;
}

/**
 * How long a cleaning shard's lease lasts unrenewed (its holder renews it every third of this): after
 * a processor dies, another one takes its shards over within this long. Readings that wait meanwhile
 * are safe in the database.
 */
const CLEANER_LEASE_MS = 5000;

/** The curated files' home: a folder, or a bucket with a local cache (TELEMATICS_WAREHOUSE_URL). */
export function openCuratedFiles(config: Pick<TelematicsConfig, 'warehouse' | 'rawZone'>): CuratedFiles {
  const { url, localDir } = config.warehouse;
  if (url.startsWith('s3://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a warehouse in S3, like the raw zone's
    const { S3CuratedFiles } = require('./zones/s3-curated-files') as typeof import('./zones/s3-curated-files');
    return new S3CuratedFiles({ url, endpoint: config.rawZone.s3Endpoint, region: config.rawZone.s3Region }, localDir);
  }
  return new LocalCuratedFiles(isAbsolute(url) ? url : resolve(url));
}

export function openZoneStore(config: Pick<TelematicsConfig, 'rawZone'>): ZoneStore {
  const writerId = `${hostname()}-${process.pid}-${Date.now()}`;
  const { url, s3Endpoint, s3Region } = config.rawZone;
  if (url.startsWith('s3://')) {
    // Loaded only when used: the AWS SDK is large, and a laptop never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for an S3 raw zone
    const { S3ZoneStore } = require('./zones/s3-zone-store') as typeof import('./zones/s3-zone-store');
    return new S3ZoneStore({ url, endpoint: s3Endpoint, region: s3Region, writerId });
  }
  return new FileZoneStore(isAbsolute(url) ? url : resolve(url), writerId);
}

/**
 * `live: false` (the replay): stored readings do not wake the cleaner, and the raw zone is only
 * read, never written: the caller drives both.
 */
export async function openTelematics(config: TelematicsConfig, db: Database, logger: Logger, options: { live: boolean } = { live: true }): Promise<TelematicsCore> {
  const store = new TelematicsStore(db);
  const zone = openZoneStore(config);
  const warehouse = await CuratedWarehouse.open(openCuratedFiles(config));
  warehouse.hideUncommitted(() => store.uncommittedBatchIds());
  // On the production bus the registry mints bikes' NATS users (the roles that provision: all, api).
  const issuer =
    options.live && config.deviceIssuer && (config.role === 'all' || config.role === 'api')
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only on the bus, like the S3 zones
        await (require('./bus/nats-device-issuer') as typeof import('./bus/nats-device-issuer')).NatsDeviceIssuer.open({ ...config.deviceIssuer, logger, onRefused: (reason) => recordRefusedDevice(1, { door: 'nats', reason }) })
      : undefined;
  const devices = new DeviceRegistry(new DeviceCredentialStore(db), DEVICE_CACHE, { issuer, metrics: deviceMetrics, logger });
  if (options.live) zeroDeviceMetrics({ bus: issuer !== undefined });
  if (issuer) {
    // A push that failed earlier (the bus was down), or a server that lost its state, is healed here.
    devices.publishRevocations().catch((error: unknown) => logger.error({ err: error }, 'could not push the device revocation list to the bus; it is pushed again at the next revocation'));
  }
  const listeners: CuratedListener[] = [];
  const recent = new RecentIngest();
  const curation = new Curation({
    store,
    sink: warehouse,
    rejects: zone,
    settings: config.cleaning,
    metrics: recent.curationMetrics(curationMetrics),
    logger,
    minIntervalMs: config.curateIntervalMs,
    batchLimit: BATCH_LIMIT,
    holder: `${hostname()}-${process.pid}-${Date.now()}`,
    leaseMs: CLEANER_LEASE_MS,
    shards: config.cleanerShards,
    onCurated: (batch) => {
      for (const listener of listeners) listener(batch);
    },
  });
  const pipeline = new IngestPipeline({
    devices,
    readings: store,
    decode: decodePayload,
    zone: options.live ? zone : { write: (lines) => zone.write(lines.filter((line) => line.zone !== 'raw')) },
    limits: config.limits,
    metrics: recent.ingestMetrics(ingestMetrics),
    onStored: () => (options.live ? curation.poke() : undefined),
  });
  logger.info({ rawZone: zone.location, warehouse: warehouse.location }, 'telematics lake open');
  return {
    store,
    zone,
    warehouse,
    devices,
    pipeline,
    curation,
    impacts: new RideImpacts(store, warehouse, config.impact),
    recent,
    onCurated: (listener) => listeners.push(listener),
    start: () => curation.start(),
    stop: async () => {
      await pipeline.idle();
      await curation.stop();
      warehouse.close();
      await zone.close();
      await issuer?.close();
    },
  };
}
