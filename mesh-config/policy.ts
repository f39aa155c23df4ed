// The one source of the mesh's per-call policy: for each service, who may call each method, how
// long a call may take, and whether a failed call may be retried. `npm run mesh` turns it into the
// Istio AuthorizationPolicies and VirtualService routes (production) and the gRPC service config
// the services use without Istio (laptop, tests), so the two cannot drift. The ports are the services'
// own defaults (DEFAULT_PORTS), so the manifests and a laptop agree too.
import { DEFAULT_PORTS } from '../services/platform/src/config';

/** Workload identities: a Kubernetes ServiceAccount under Istio, a certificate name without it. */
export type Caller = 'gateway' | 'ride' | 'telematics' | 'operator';

/**
 * `on-unavailable`: retried (at most 3 attempts) when the server was unreachable or refused the
 * stream. Only for methods that are safe to repeat: reads, and writes keyed by an idempotency key
 * or a ride id. `never`: creations without a key, where a retry could make a second one.
 */
export type RetryPolicy = 'on-unavailable' | 'never';

export interface MethodPolicy {
  callers: Caller[];
  timeoutMs: number;
  retry: RetryPolicy;
}

export interface ServicePolicy {
  /** Fully qualified gRPC service name. */
  grpcService: string;
  grpcPort: number;
  /** The GraphQL subgraph port; only the gateway may call it. */
  httpPort: number;
  methods: Record<string, MethodPolicy>;
  /**
   * Ports that devices outside the mesh reach through the ingress gateway (telematics' MQTT and
   * HTTPS doors). They authenticate with their own device credentials, not a workload identity.
   */
  devicePorts?: { name: string; port: number }[];
}

// Back-office tools (support, fleet operations, the demo seeding) run as `operator`.
const read = (...callers: Caller[]): MethodPolicy => ({ callers: [...callers, 'operator'], timeoutMs: 1000, retry: 'on-unavailable' });
const keyedWrite = (...callers: Caller[]): MethodPolicy => ({ callers: [...callers, 'operator'], timeoutMs: 2000, retry: 'on-unavailable' });
const creation = (): MethodPolicy => ({ callers: ['operator'], timeoutMs: 2000, retry: 'never' });

export const NAMESPACE = 'ecowheels';
export const GATEWAY_PORT = DEFAULT_PORTS.gateway.http;
/** The gateway's Prometheus endpoint, apart from the public port. */
export const GATEWAY_METRICS_PORT = DEFAULT_PORTS.gateway.metrics;
/** The identity of Istio's ingress gateway, the only caller of the public GraphQL API. */
export const INGRESS_PRINCIPAL = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

export const MESH_POLICY: Record<'user' | 'inventory' | 'ride' | 'payment' | 'telematics', ServicePolicy> = {
  user: {
    grpcService: 'ecowheels.user.v1.UserService',
    grpcPort: DEFAULT_PORTS.user.grpc,
    httpPort: DEFAULT_PORTS.user.http,
    methods: {
      CreateRider: creation(),
      GetRider: read(),
      BatchGetRiders: read(),
      VerifyRider: read('ride'),
      ConfirmRiderIdentity: keyedWrite(),
      UpdateRiderStatus: keyedWrite(),
      LoginRider: read(),
      GetTokenVerificationKeys: read('gateway'),
      CreateApiClient: creation(),
      ValidateApiKey: read('gateway'),
      RevokeApiClient: keyedWrite(),
    },
  },
  inventory: {
    grpcService: 'ecowheels.inventory.v1.InventoryService',
    grpcPort: DEFAULT_PORTS.inventory.grpc,
    httpPort: DEFAULT_PORTS.inventory.http,
    methods: {
      RegisterBike: creation(),
      GetBike: read(),
      // A rider names a bike by its printed code or its listing id; the ride service needs its id.
      IdentifyBike: read('ride'),
      BatchGetBikes: read(),
      ListAvailableBikesNear: read(),
      UpdateBikeStatus: keyedWrite(),
      ReserveBike: keyedWrite('ride'),
      UnlockBike: keyedWrite('ride'),
      ReleaseBike: keyedWrite('ride'),
      CreateStation: creation(),
      // The gateway's public GBFS feed reads the stations and the rentable bikes.
      ListStations: read('gateway'),
      ListFeedVehicles: read('gateway'),
      // The bikes' own position and charge, relayed by telematics; newer reports win, so retries are safe.
      RecordBikeTelemetry: { callers: ['telematics'], timeoutMs: 2000, retry: 'on-unavailable' },
    },
  },
  ride: {
    grpcService: 'ecowheels.ride.v1.RideService',
    grpcPort: DEFAULT_PORTS.ride.grpc,
    httpPort: DEFAULT_PORTS.ride.http,
    methods: {
      // A start makes at most one ride per idempotency key, and waits for a twin in flight.
      StartRide: { callers: ['operator'], timeoutMs: 8000, retry: 'on-unavailable' },
      EndRide: { callers: ['operator'], timeoutMs: 8000, retry: 'on-unavailable' },
      GetRide: read(),
      // Telematics asks which rider each ride belongs to, once per ride, for the rider's impact.
      BatchGetRides: read('telematics'),
      ListRides: read(),
      // The tariff, for the GBFS feed's pricing plans too.
      GetPricing: read('gateway'),
    },
  },
  payment: {
    grpcService: 'ecowheels.payment.v1.PaymentService',
    grpcPort: DEFAULT_PORTS.payment.grpc,
    httpPort: DEFAULT_PORTS.payment.http,
    methods: {
      GetWallet: read(),
      // Charges a card: the provider call alone may take a few seconds.
      TopUpWallet: { callers: ['operator'], timeoutMs: 5000, retry: 'on-unavailable' },
      Authorize: keyedWrite('ride'),
      Capture: keyedWrite('ride'),
      Void: keyedWrite('ride'),
      Refund: keyedWrite(),
      BatchGetHolds: read(),
      ListLedgerEntries: read(),
    },
  },
  telematics: {
    grpcService: 'ecowheels.telematics.v1.TelematicsService',
    grpcPort: DEFAULT_PORTS.telematics.grpc,
    httpPort: DEFAULT_PORTS.telematics.http,
    methods: {
      // A stream of readings from a back-fill tool; every reading is deduplicated, so a retried
      // stream is safe, but a stream cannot be replayed by a proxy: never retried in the mesh.
      Ingest: { callers: ['operator'], timeoutMs: 60_000, retry: 'never' },
      ProvisionDevice: creation(),
      // Cutting a stolen or broken bike off; repeating it only pushes the revocation list again.
      RevokeDevice: { callers: ['operator'], timeoutMs: 6000, retry: 'on-unavailable' },
      GetRideImpact: read(),
    },
    devicePorts: [
      // Istio reads a port's protocol from its name; MQTT is plain TCP to it.
      { name: 'tcp-mqtt', port: DEFAULT_PORTS.telematics.mqtt },
      { name: 'http-devices', port: DEFAULT_PORTS.telematics.devices },
    ],
  },
};

/** How a retried call backs off, in both the gRPC service config and Istio. */
export const RETRY = { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000, backoffMultiplier: 2 };
