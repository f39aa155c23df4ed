// The telematics service for tests: one process on a fresh PostgreSQL database and a fresh lake
// folder, its device doors on free ports, with helpers to provision bikes, make readings, send
// them through each door, and read what was kept (the database, the raw zone, the Parquet files).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { DuckDBInstance } from '@duckdb/node-api';
import mqtt, { type MqttClient } from 'mqtt';
import { fetch as undiciFetch } from 'undici';
import {
  TelematicsServiceClient,
  TelematicsServiceService,
  type BusCredential,
  type IngestResponse,
  type Reading,
} from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { channelOptionsFor } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import { telematicsClient, type TestClient } from './grpc-clients';
import { seriesValue } from './metrics';
import { SingleService, testCredentials } from './stack';
import { unusedAddress } from './unused-address';

export { readingsTopic } from '../../services/telematics/src/doors/mqtt-topics';

/** Streams the messages over Ingest and answers its summary. */
export function streamIngest(client: TelematicsServiceClient, messages: Reading[][], deadlineMs = 30_000): Promise<IngestResponse> {
  return new Promise((resolve, reject) => {
    const call = client.ingest(new Metadata(), { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, response: IngestResponse) =>
      error ? reject(error) : resolve(response),
    );
    for (const readings of messages) call.write({ readings });
    call.end();
  });
}

/** A valid reading in the proto3 JSON mapping, near Amsterdam Centraal, recorded just now. */
export function readingJson(bikeId: string, sequence: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bikeId,
    sequence,
    recordTime: new Date().toISOString(),
    latitude: 52.3791 + sequence * 0.00001,
    longitude: 4.9003,
    speedKmh: 15,
    batteryPercent: 80,
    batteryVoltage: 40.1,
    odometerMeters: 1200,
    assistLevel: 2,
    faultCodes: [],
    ...overrides,
  };
}

export class TelematicsUnderTest {
  client: TestClient<TelematicsServiceClient>;
  private readonly clients: MqttClient[] = [];

  private constructor(
    readonly service: SingleService,
    readonly lakeDir: string,
    private readonly dataDir: string,
  ) {
    this.client = telematicsClient(service.address, service.credentials);
  }

  static async start(env: Record<string, string> = {}): Promise<TelematicsUnderTest> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-telematics-'));
    const nowhere = await unusedAddress();
    const service = await SingleService.start('telematics', {
      DATA_DIR: dataDir,
      // Nothing listens there: telematics logs that it cannot relay positions, and goes on.
      INVENTORY_SERVICE_ADDR: nowhere,
      RIDE_SERVICE_ADDR: nowhere,
      TELEMATICS_CALL_DEADLINE_MS: '300',
      ...env,
    });
    return new TelematicsUnderTest(service, join(dataDir, 'telematics-lake'), dataDir);
  }

  get ready(): Record<string, string> {
    return this.service.process.ready as Record<string, string>;
  }

  /** Starts the process again (after a crash or a stop) on the same ports, database and lake. */
  async restart(): Promise<void> {
    const port = (url: string) => new URL(url).port;
    await this.service.restart({
      TELEMATICS_GRPC_PORT: this.service.address.split(':')[1],
      TELEMATICS_DEVICE_HTTP_PORT: port(this.ready.deviceUrl),
      TELEMATICS_HTTP_PORT: port(this.service.process.graphqlUrl),
      // With TELEMATICS_BUS there is no embedded broker, and no MQTT port to keep.
      ...(this.ready.mqttUrl ? { TELEMATICS_MQTT_PORT: port(this.ready.mqttUrl.replace(/^mqtts?/, 'http')) } : {}),
    });
    this.client.close();
    this.client = telematicsClient(this.service.address, this.service.credentials);
  }

  /** Provisions a bike as the operators do; on the production bus the answer carries its NATS credential. */
  async provision(bikeId: string = randomUUID(), rotate = false): Promise<{ bikeId: string; secret: string; deviceKey: string; bus?: BusCredential }> {
    const { secret, bus } = await this.client.provisionDevice({ bikeId, rotate });
    return { bikeId, secret, deviceKey: `${bikeId}:${secret}`, bus };
  }

  /** An MQTT 3.1.1 connection to the embedded broker as a device. */
  async connectDevice(username?: string, password?: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(this.ready.mqttUrl, { protocolVersion: 4, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    this.clients.push(client);
    return client;
  }

  /** The process's metrics, from its subgraph port, as the mesh's operator. */
  async metrics(): Promise<string> {
    const dispatcher = httpDispatcher(this.service.credentials);
    const response = await undiciFetch(this.service.process.graphqlUrl.replace(/\/graphql$/, '/metrics'), { dispatcher });
    return response.text();
  }

  /** One series' value from /metrics: the first with these labels (others, such as otel_scope_name, may be there too). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    return seriesValue(await this.metrics(), name, labels);
  }

  /** POSTs a batch to the device door; answers the status, headers and JSON body. */
  async post(body: string | Uint8Array, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${this.ready.deviceUrl}/v1/readings`, { method: 'POST', body, headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  /** Streams the messages over Ingest, as the mesh's operator, and answers its summary. */
  ingest(messages: Reading[][]): Promise<IngestResponse> {
    return streamIngest(this.client.raw, messages);
  }

  /** Streams IngestRequest messages already encoded (see reading-wire.ts), as the mesh's operator. */
  ingestEncoded(messages: Uint8Array[]): Promise<IngestResponse> {
    const { path, responseDeserialize } = TelematicsServiceService.ingest;
    return new Promise((resolve, reject) => {
      const call = this.client.raw.makeClientStreamRequest(
        path,
        (message: Uint8Array) => Buffer.from(message),
        responseDeserialize,
        new Metadata(),
        { deadline: Date.now() + 30_000 },
        (error: ServiceError | null, response?: IngestResponse) => (error || !response ? reject(error) : resolve(response)),
      );
      for (const message of messages) call.write(message);
      call.end();
    });
  }

  /** Streams one empty message over Ingest as another workload of the mesh (to show the policy refuse it). */
  async ingestAs(identity: string): Promise<IngestResponse> {
    const mesh = testCredentials(identity);
    const client = new TelematicsServiceClient(this.service.address, mesh.client, channelOptionsFor(mesh, this.service.address));
    try {
      return await streamIngest(client, [[]], 10_000);
    } finally {
      client.close();
    }
  }

  /** The readings the service stored (once each), by bike. */
  async storedReadings(bikeId: string): Promise<{ sequence: number; curated: boolean }[]> {
    const rows = await this.service.db.query<{ sequence: string; curation_batch: string | null }>(
      'SELECT sequence, curation_batch FROM readings WHERE bike_id = $1 ORDER BY sequence',
      [bikeId],
    );
    return rows.map((row) => ({ sequence: Number(row.sequence), curated: row.curation_batch !== null }));
  }

  /** Every line of a zone (raw or rejects), parsed, read as a replay reads it. */
  async zoneLines(zone: 'raw' | 'rejects'): Promise<Record<string, unknown>[]> {
    const store = new FileZoneStore(this.lakeDir, 'test-reader');
    const keys = await store.list(zone, new Date(0), new Date('9999-01-01T00:00:00Z'));
    const lines = (await Promise.all(keys.map((key) => store.read(key)))).flat();
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Runs SQL over the curated Parquet files, as a data engineer would, with DuckDB. */
  async curated<Row = Record<string, unknown>>(sql: string): Promise<Row[]> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const glob = join(this.lakeDir, 'curated', '*', '*', '*.parquet');
      const reader = await connection.runAndReadAll(`WITH curated AS (SELECT * FROM read_parquet('${glob}')) ${sql}`);
      return reader.getRowObjectsJS() as Row[];
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync(true)));
    this.client.close();
    await this.service.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
