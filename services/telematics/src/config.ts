// The telematics service's configuration, from the environment (see the README's table). Each
// cleaning default says why it is what it is; the README cites the impact factors' sources.
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORTS, ConfigError, defaultGrpcAddress, milliseconds, port, readServiceConfig, serviceAddress } from '../../platform/src/config';

const positive = (fallback: number) => z.coerce.number().positive().default(fallback);
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export function readTelematicsConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'telematics',
    DEFAULT_PORTS.telematics,
    {
      INVENTORY_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('inventory')),
      RIDE_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('ride')),
      // The embedded MQTT broker's port (not 1883, which a system broker may hold); unused with TELEMATICS_MQTT_URL.
      TELEMATICS_MQTT_PORT: port(DEFAULT_PORTS.telematics.mqtt),
      // An external broker (mqtt://, mqtts://) to subscribe to instead of embedding one.
      TELEMATICS_MQTT_URL: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL').optional(),
      // The persistent session's client id on the external broker: stable per replica.
      TELEMATICS_MQTT_CLIENT_ID: z.string().min(1).optional(),
      TELEMATICS_MQTT_USERNAME: z.string().min(1).optional(),
      TELEMATICS_MQTT_PASSWORD: z.string().min(1).optional(),
      // The shared subscription's group ($share/<group>/...): one per deployment.
      TELEMATICS_MQTT_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -').default('telematics'),
      // Connections each replica opens in the shared subscription (each takes one message at a time).
      TELEMATICS_MQTT_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(4),
      // The longest MQTT packet the embedded broker takes from a device, CONNECT included; a longer
      // one closes the connection as soon as its header says so. A reading is under 1 KB.
      TELEMATICS_MQTT_CONNECT_TIMEOUT_MS: milliseconds(10_000),
      TELEMATICS_MQTT_MAX_CONNECTIONS: z.coerce.number().int().min(0).default(100_000),
      TELEMATICS_MQTT_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).default(1000),
      TELEMATICS_MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(256 * 1024),
      // The production data path: bikes publish over MQTT to NATS, JetStream keeps the messages, and
      // this service reads them through a durable pull consumer instead of embedding a broker.
      TELEMATICS_BUS: z.string().regex(/^nats:\/\//, 'must be a nats:// URL').optional(),
      // This workload's NATS user (a .creds file from `npm run nats:accounts`): NATS runs in operator
      // mode in production, and each role connects with only the rights it needs.
      TELEMATICS_BUS_CREDS_FILE: z.string().min(1).optional(),
      // The device registry's keys (device-issuer.json from `npm run nats:accounts`): with them,
      // ProvisionDevice mints each bike's NATS user and RevokeDevice pushes revocations to NATS.
      TELEMATICS_DEVICE_ISSUER_FILE: z.string().min(1).optional(),
      // Where bikes connect on the bus (NATS's MQTT listener, mqtts:// in production), as ProvisionDevice tells them.
      TELEMATICS_DEVICE_MQTT_URL: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL').optional(),
      // How long a bike's NATS credential lasts; each one revoked early stays on the account's
      // revocation list until then (about 13k entries fit), so a month bounds the list.
      TELEMATICS_DEVICE_BUS_TTL_MS: milliseconds(30 * 24 * 3_600_000),
      // Copies of the TELEMATICS stream, made when missing: 3 in a production cluster.
      TELEMATICS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
      // Messages per fetch (one group commit), and how long JetStream waits for their acknowledgement.
      TELEMATICS_BUS_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
      TELEMATICS_BUS_ACK_WAIT_MS: milliseconds(30_000),
      // "all": the doors, the API and (with TELEMATICS_BUS) the stream's processor in one process.
      // "processor": only the stream's processor and the cleaner, the workload KEDA scales from zero.
      // "edge": the device HTTPS door and the gRPC stream, publishing to the stream; stateless.
      // "api": the GraphQL and gRPC API, always on; its gRPC stream publishes to the stream too.
      TELEMATICS_ROLE: z.enum(['all', 'processor', 'edge', 'api']).default('all'),
      // The device HTTPS door: POST /v1/readings.
      TELEMATICS_DEVICE_HTTP_PORT: port(DEFAULT_PORTS.telematics.devices),
      // Certificate and key (PEM files) for the device doors; required when they listen beyond loopback.
      TELEMATICS_TLS_CERT_FILE: z.string().min(1).optional(),
      TELEMATICS_TLS_KEY_FILE: z.string().min(1).optional(),
      // The raw zone: a folder (default: <DATA_DIR>/telematics-lake) or s3://bucket/prefix.
      TELEMATICS_RAW_ZONE_URL: z.string().min(1).optional(),
      // The curated Parquet files: a folder (default: <DATA_DIR>/telematics-lake/curated) or
      // s3://bucket/prefix, which every replica reads through a local cache of the days it queries.
      TELEMATICS_WAREHOUSE_URL: z.string().min(1).optional(),
      TELEMATICS_S3_ENDPOINT: z.url().optional(),
      TELEMATICS_S3_REGION: z.string().min(1).default('eu-west-1'),
      // Per-reading rules. 100 km/h: no e-bike does it, even downhill; a unit reporting it is broken.
      TELEMATICS_MAX_SPEED_KMH: positive(100),
      // Units keep time by GNSS; five minutes ahead means a broken clock, not drift.
      TELEMATICS_MAX_CLOCK_AHEAD_MS: milliseconds(5 * 60_000),
      // A unit buffers at most a week offline; older data is a back-fill, sent by an operator tool.
      TELEMATICS_MAX_READING_AGE_MS: milliseconds(7 * 24 * 3_600_000),
      // Track rules. One second covers the reordering of a QoS 1 redelivery and of parallel HTTP batches.
      TELEMATICS_REORDER_WINDOW_MS: milliseconds(1000),
      // 60 km/h between two fixes is beyond any pedelec, yet above GPS noise at 1 s intervals.
      TELEMATICS_MAX_IMPLIED_SPEED_KMH: positive(60),
      // The EU's S-pedelec assistance limit (Regulation 168/2013, class L1e-B): faster is flagged.
      TELEMATICS_FLAG_SPEED_KMH: positive(45),
      // Gaps up to 30 s and 10 readings are short enough for a straight line to be a fair guess.
      TELEMATICS_MAX_FILL_GAP_MS: milliseconds(30_000),
      TELEMATICS_MAX_FILL_READINGS: z.coerce.number().int().min(0).default(10),
      // Walking pace and below is standing, pushing or waiting at a light.
      TELEMATICS_MOVING_SPEED_KMH: positive(2),
      // A typical city e-bike pack: 36 V × 14 Ah ≈ 500 Wh.
      TELEMATICS_PACK_CAPACITY_WH: positive(500),
      // Impact factors (g CO2e); the README cites each.
      TELEMATICS_CAR_G_PER_KM: positive(170),
      TELEMATICS_EBIKE_LIFECYCLE_G_PER_KM: positive(7),
      TELEMATICS_GRID_G_PER_KWH: positive(250),
      // At most one position update per bike per this long reaches inventory.
      TELEMATICS_INVENTORY_RELAY_MS: milliseconds(5000),
      // The least time between two cleaning runs: fewer, larger Parquet files under load.
      TELEMATICS_CURATE_INTERVAL_MS: milliseconds(500),
      TELEMATICS_LANDING_MAX_FILE_BYTES: z.coerce.number().int().min(1024).default(512 * 1024 * 1024),
      TELEMATICS_CLEANER_SHARDS: z.coerce.number().int().min(1).max(1024).default(8),
      // Per device and second, on the HTTPS door.
      TELEMATICS_HTTP_BATCHES_PER_SECOND: z.coerce.number().int().positive().default(20),
      TELEMATICS_HTTP_MAX_BODY_BYTES: z.coerce.number().int().positive().default(2 * 1024 * 1024),
      TELEMATICS_CALL_DEADLINE_MS: milliseconds(3000),
      // How long one gRPC Ingest stream may stay open, whatever deadline its client set (or none):
      // a stream held open holds its summary, and a socket, for as long as it lasts.
      TELEMATICS_INGEST_DEADLINE_MS: milliseconds(60_000),
    },
    env,
  );
  // The data lake beside the embedded database (not inside it: that folder is PostgreSQL's own):
  // <DATA_DIR>/telematics-lake/{raw,rejects,curated,landing}.
  const lakeDir = join(dirname(basics.database.dataDir), 'telematics-lake');
  const exposed = !LOOPBACK.test(basics.host);
  const tls =
    own.TELEMATICS_TLS_CERT_FILE && own.TELEMATICS_TLS_KEY_FILE ? { certFile: own.TELEMATICS_TLS_CERT_FILE, keyFile: own.TELEMATICS_TLS_KEY_FILE } : undefined;
  if (own.TELEMATICS_ROLE !== 'all' && !own.TELEMATICS_BUS) {
    throw new ConfigError(`invalid configuration:\n  TELEMATICS_ROLE=${own.TELEMATICS_ROLE}: the roles split the production stream's work, so it needs TELEMATICS_BUS=nats://...`);
  }
  if (own.TELEMATICS_BUS && own.TELEMATICS_ROLE !== 'processor' && own.TELEMATICS_ROLE !== 'edge' && !own.TELEMATICS_DEVICE_ISSUER_FILE) {
    throw new ConfigError(
      `invalid configuration:\n  TELEMATICS_ROLE=${own.TELEMATICS_ROLE} with TELEMATICS_BUS provisions bikes for the bus, so it needs TELEMATICS_DEVICE_ISSUER_FILE (device-issuer.json from \`npm run nats:accounts\`)`,
    );
  }
  if (exposed && !tls && basics.mesh.mode !== 'istio') {
    throw new ConfigError(
      `invalid configuration:\n  LISTEN_HOST=${JSON.stringify(basics.host)}: the device doors (MQTT, HTTPS) listen beyond loopback, so they need TLS: set TELEMATICS_TLS_CERT_FILE and TELEMATICS_TLS_KEY_FILE (under Istio the ingress gateway terminates TLS)`,
    );
  }
  return {
    ...basics,
    lakeDir,
    inventoryAddress: own.INVENTORY_SERVICE_ADDR,
    rideAddress: own.RIDE_SERVICE_ADDR,
    callDeadlineMs: own.TELEMATICS_CALL_DEADLINE_MS,
    ingestDeadlineMs: own.TELEMATICS_INGEST_DEADLINE_MS,
    mqtt: {
      port: own.TELEMATICS_MQTT_PORT,
      externalUrl: own.TELEMATICS_MQTT_URL,
      clientId: own.TELEMATICS_MQTT_CLIENT_ID,
      username: own.TELEMATICS_MQTT_USERNAME,
      password: own.TELEMATICS_MQTT_PASSWORD,
      connections: own.TELEMATICS_MQTT_CONNECTIONS,
      shareGroup: own.TELEMATICS_MQTT_SHARE_GROUP,
      maxPacketBytes: own.TELEMATICS_MQTT_MAX_PACKET_BYTES,
      connectTimeoutMs: own.TELEMATICS_MQTT_CONNECT_TIMEOUT_MS,
      maxConnections: own.TELEMATICS_MQTT_MAX_CONNECTIONS,
      maxConnectionsPerAddress: own.TELEMATICS_MQTT_MAX_CONNECTIONS_PER_ADDRESS,
    },
    role: own.TELEMATICS_ROLE,
    bus: own.TELEMATICS_BUS
      ? {
          url: own.TELEMATICS_BUS,
          credsFile: own.TELEMATICS_BUS_CREDS_FILE,
          replicas: own.TELEMATICS_STREAM_REPLICAS,
          batchSize: own.TELEMATICS_BUS_BATCH,
          ackWaitMs: own.TELEMATICS_BUS_ACK_WAIT_MS,
        }
      : undefined,
    deviceIssuer:
      own.TELEMATICS_BUS && own.TELEMATICS_DEVICE_ISSUER_FILE
        ? { url: own.TELEMATICS_BUS, file: own.TELEMATICS_DEVICE_ISSUER_FILE, mqttUrl: own.TELEMATICS_DEVICE_MQTT_URL, ttlMs: own.TELEMATICS_DEVICE_BUS_TTL_MS }
        : undefined,
    deviceHttp: {
      port: own.TELEMATICS_DEVICE_HTTP_PORT,
      batchesPerSecond: own.TELEMATICS_HTTP_BATCHES_PER_SECOND,
      maxBodyBytes: own.TELEMATICS_HTTP_MAX_BODY_BYTES,
    },
    tls,
    rawZone: {
      url: own.TELEMATICS_RAW_ZONE_URL ?? lakeDir,
      s3Endpoint: own.TELEMATICS_S3_ENDPOINT,
      s3Region: own.TELEMATICS_S3_REGION,
    },
    warehouse: {
      url: own.TELEMATICS_WAREHOUSE_URL ?? join(lakeDir, 'curated'),
      // The local folder DuckDB reads: the files themselves, or the bucket's cache.
      localDir: join(lakeDir, 'curated'),
    },
    landingDir: join(lakeDir, 'landing'),
    landingMaxFileBytes: own.TELEMATICS_LANDING_MAX_FILE_BYTES,
    limits: {
      maxSpeedKmh: own.TELEMATICS_MAX_SPEED_KMH,
      maxClockAheadMs: own.TELEMATICS_MAX_CLOCK_AHEAD_MS,
      maxAgeMs: own.TELEMATICS_MAX_READING_AGE_MS,
    },
    cleaning: {
      reorderWindowMs: own.TELEMATICS_REORDER_WINDOW_MS,
      maxImpliedSpeedKmh: own.TELEMATICS_MAX_IMPLIED_SPEED_KMH,
      flagSpeedKmh: own.TELEMATICS_FLAG_SPEED_KMH,
      maxFillGapMs: own.TELEMATICS_MAX_FILL_GAP_MS,
      maxFillReadings: own.TELEMATICS_MAX_FILL_READINGS,
      movingSpeedKmh: own.TELEMATICS_MOVING_SPEED_KMH,
      packCapacityWh: own.TELEMATICS_PACK_CAPACITY_WH,
    },
    impact: {
      carGramsPerKm: own.TELEMATICS_CAR_G_PER_KM,
      ebikeLifecycleGramsPerKm: own.TELEMATICS_EBIKE_LIFECYCLE_G_PER_KM,
      gridGramsPerKwh: own.TELEMATICS_GRID_G_PER_KWH,
    },
    inventoryRelayMs: own.TELEMATICS_INVENTORY_RELAY_MS,
    curateIntervalMs: own.TELEMATICS_CURATE_INTERVAL_MS,
    cleanerShards: own.TELEMATICS_CLEANER_SHARDS,
  };
}

export type TelematicsConfig = ReturnType<typeof readTelematicsConfig>;
