// The gateway's configuration, from the environment (see the README's table).
import { APP_MANIFESTS_DIR } from './app-manifests';
import { z } from 'zod';
import { DEFAULT_PORTS, defaultGrpcAddress, listenHost, meshSettings, meshShape, milliseconds, port, readConfig, serviceAddress } from '../../services/platform/src/config';
import { SUBGRAPHS, type SubgraphName } from './subgraphs';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = readConfig(
    z.object({
      NODE_ENV: z.string().default('development'),
      LISTEN_HOST: listenHost,
      GATEWAY_PORT: port(DEFAULT_PORTS.gateway.http),
      // Prometheus' /metrics, on a port of its own: the public port never shows the process's innards.
      GATEWAY_METRICS_PORT: port(DEFAULT_PORTS.gateway.metrics),
      ...meshShape,
      USER_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('user')),
      // The public GBFS feed's sources: stations and rentable bikes, and the tariff.
      INVENTORY_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('inventory')),
      RIDE_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('ride')),
      // What the GBFS feed says of the system (system_information.json).
      GBFS_SYSTEM_ID: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"').default('ecowheels-amsterdam'),
      GBFS_SYSTEM_NAME: z.string().min(1).default('EcoWheels Amsterdam'),
      GBFS_TIMEZONE: z.string().min(1).default('Europe/Amsterdam'),
      GBFS_CONTACT_EMAIL: z.email().default('gbfs@ecowheels.example'),
      // A full pack's range with assistance: 500 Wh at about 10 Wh/km.
      GBFS_MAX_RANGE_METERS: positiveInt(50_000),
      // How long one read of inventory and the tariff serves the feed (its ttl).
      GBFS_REFRESH_SECONDS: positiveInt(30),
      // Where the feed is published (every URL in it starts here); unset, the gateway's own address.
      GBFS_BASE_URL: z.url({ error: 'must be an http(s) URL such as https://api.ecowheels.example/gbfs/v3' }).regex(/^https?:\/\//, 'must be an http(s) URL').optional(),
      ...Object.fromEntries(
        SUBGRAPHS.map(({ name }) => [`${name.toUpperCase()}_SUBGRAPH_URL`, z.url('must be an http(s) URL').optional()]),
      ),
      // Requests per API key per window; the window in seconds.
      GATEWAY_RATE_LIMIT: positiveInt(600),
      GATEWAY_RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
      // Set to share rate limits and usage counts between gateway replicas.
      GATEWAY_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
      GATEWAY_MAX_DEPTH: positiveInt(8),
      // graphql-armor cost: 2 per object, 1 per scalar, times 1.5 per level of depth.
      GATEWAY_MAX_COST: positiveInt(10_000),
      GATEWAY_MAX_BODY_BYTES: positiveInt(64 * 1024),
      GATEWAY_MAX_ALIASES: positiveInt(15),
      // How many proxies in front of the gateway append to X-Forwarded-For (1 behind Istio's ingress).
      GATEWAY_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
      // Comma-separated origins allowed by CORS; "*" allows any.
      GATEWAY_CORS_ORIGINS: z.string().default('*'),
      GATEWAY_SUBGRAPH_TIMEOUT_MS: milliseconds(3000),
      GATEWAY_API_KEY_CACHE_MS: milliseconds(30_000),
      // Unknown API keys one client address may try per minute; past that, 429 at the edge.
      GATEWAY_UNKNOWN_API_KEYS_PER_MINUTE: positiveInt(30),
      // Set only by `npm start`'s launcher: the demo's keys and rider, for the explorer to prefill.
      GATEWAY_DEMO_CREDENTIALS_FILE: z.string().min(1).optional(),
      // Trusted documents (trusted-documents.ts): unset, enforced in production and off elsewhere.
      GATEWAY_TRUSTED_DOCUMENTS: z.enum(['enforce', 'off'], { error: 'must be "enforce" or "off"' }).optional(),
      GATEWAY_APP_MANIFESTS_DIR: z.string().min(1).optional(),
      GATEWAY_APP_MANIFESTS_POLL_MS: milliseconds(10_000),
    }),
    env,
  ) as Record<string, unknown> & {
    NODE_ENV: string;
    LISTEN_HOST: string;
    GATEWAY_PORT: number;
    GATEWAY_METRICS_PORT: number;
    USER_SERVICE_ADDR: string;
    INVENTORY_SERVICE_ADDR: string;
    RIDE_SERVICE_ADDR: string;
    GBFS_SYSTEM_ID: string;
    GBFS_SYSTEM_NAME: string;
    GBFS_TIMEZONE: string;
    GBFS_CONTACT_EMAIL: string;
    GBFS_MAX_RANGE_METERS: number;
    GBFS_REFRESH_SECONDS: number;
    GBFS_BASE_URL?: string;
    GATEWAY_RATE_LIMIT: number;
    GATEWAY_RATE_LIMIT_WINDOW_SECONDS: number;
    GATEWAY_REDIS_URL?: string;
    GATEWAY_MAX_DEPTH: number;
    GATEWAY_MAX_COST: number;
    GATEWAY_MAX_BODY_BYTES: number;
    GATEWAY_MAX_ALIASES: number;
    GATEWAY_TRUST_PROXY_HOPS: number;
    GATEWAY_CORS_ORIGINS: string;
    GATEWAY_SUBGRAPH_TIMEOUT_MS: number;
    GATEWAY_API_KEY_CACHE_MS: number;
    GATEWAY_UNKNOWN_API_KEYS_PER_MINUTE: number;
    GATEWAY_DEMO_CREDENTIALS_FILE?: string;
    GATEWAY_TRUSTED_DOCUMENTS?: 'enforce' | 'off';
    GATEWAY_APP_MANIFESTS_DIR?: string;
    GATEWAY_APP_MANIFESTS_POLL_MS: number;
  };
  if (config.NODE_ENV === 'production' && !config.GBFS_BASE_URL) {
    // Unset, the feed's URLs would name the pod's own address, which no reader can reach.
    throw new Error('GBFS_BASE_URL must be set in production: the public address of the GBFS feed, such as https://api.ecowheels.example/gbfs/v3');
  }
  return {
    production: config.NODE_ENV === 'production',
    host: config.LISTEN_HOST,
    port: config.GATEWAY_PORT,
    metricsPort: config.GATEWAY_METRICS_PORT,
    userServiceAddress: config.USER_SERVICE_ADDR,
    // What `npm start` keeps of the demo, which the explorer prefills: served only when the launcher
    // names the file, never by a deployed gateway, whatever its NODE_ENV.
    demoCredentialsFile: config.GATEWAY_DEMO_CREDENTIALS_FILE,
    gbfsSourceAddresses: { inventory: config.INVENTORY_SERVICE_ADDR, ride: config.RIDE_SERVICE_ADDR },
    gbfs: {
      systemId: config.GBFS_SYSTEM_ID,
      name: config.GBFS_SYSTEM_NAME,
      operator: 'EcoWheels',
      timezone: config.GBFS_TIMEZONE,
      contactEmail: config.GBFS_CONTACT_EMAIL,
      language: 'en',
      maxRangeMeters: config.GBFS_MAX_RANGE_METERS,
      refreshSeconds: config.GBFS_REFRESH_SECONDS,
      baseUrl: config.GBFS_BASE_URL?.replace(/\/+$/, ''),
    },
    mesh: meshSettings(config, 'gateway'),
    // Unset, each subgraph is on this machine at its default port: over HTTPS in local mesh mode.
    subgraphUrls: Object.fromEntries(
      SUBGRAPHS.map(({ name, defaultUrl }) => [
        name,
        (config[`${name.toUpperCase()}_SUBGRAPH_URL`] as string | undefined) ??
          (config.MESH_MODE === 'istio' ? defaultUrl : defaultUrl.replace(/^http:/, 'https:')),
      ]),
    ) as Record<SubgraphName, string>,
    rateLimit: { points: config.GATEWAY_RATE_LIMIT, windowSeconds: config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS },
    redisUrl: config.GATEWAY_REDIS_URL,
    limits: {
      maxDepth: config.GATEWAY_MAX_DEPTH,
      maxCost: config.GATEWAY_MAX_COST,
      maxAliases: config.GATEWAY_MAX_ALIASES,
      maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
    },
    corsOrigins: config.GATEWAY_CORS_ORIGINS === '*' ? '*' : config.GATEWAY_CORS_ORIGINS.split(',').map((origin) => origin.trim()),
    subgraphTimeoutMs: config.GATEWAY_SUBGRAPH_TIMEOUT_MS,
    apiKeys: { cacheMs: config.GATEWAY_API_KEY_CACHE_MS, unknownKeysPerMinute: config.GATEWAY_UNKNOWN_API_KEYS_PER_MINUTE },
    trustProxyHops: config.GATEWAY_TRUST_PROXY_HOPS,
    trustedDocuments: {
      mode: config.GATEWAY_TRUSTED_DOCUMENTS ?? (config.NODE_ENV === 'production' ? 'enforce' : 'off'),
      // Beside the supergraph, in the sources and in dist/ alike (the build copies the folder).
      dir: config.GATEWAY_APP_MANIFESTS_DIR ?? APP_MANIFESTS_DIR,
      pollMs: config.GATEWAY_APP_MANIFESTS_POLL_MS,
    },
  };
}

export type GatewayConfig = ReturnType<typeof readGatewayConfig>;
