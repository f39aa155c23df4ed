// The telematics service for tests: one process on a fresh PostgreSQL database and a fresh lake
// folder, its device doors on free ports, with helpers to provision bikes, make readings, send
// them through each door, and read what was kept (the database, the raw zone, the Parquet files).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { DuckDBInstance } from '@duckdb/node-api';
import mqtt, { type MqttClient } from 'mqtt';
import { fetch as undiciFetch } from 'undici';
import { httpDispatcher } from '../../services/platform/src/mesh/credentials';
import type { IngestResponse, Reading, TelematicsServiceClient } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { telematicsClient, type TestClient } from './grpc-clients';
import { SingleService } from './stack';

export const readingsTopic = (bikeId: string) => `ecowheels/v1/bikes/${bikeId}/readings`;

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
    const service = await SingleService.start('telematics', {
      DATA_DIR: dataDir,
      // Nothing listens there: telematics logs that it cannot relay positions, and goes on.
      INVENTORY_SERVICE_ADDR: '127.0.0.1:9',
      RIDE_SERVICE_ADDR: '127.0.0.1:9',
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
      TELEMATICS_MQTT_PORT: port(this.ready.mqttUrl.replace(/^mqtts?/, 'http')),
    });
    this.client.close();
    this.client = telematicsClient(this.service.address, this.service.credentials);
  }

  async provision(bikeId = randomUUID()): Promise<{ bikeId: string; secret: string; deviceKey: string }> {
    const { secret } = await this.client.provisionDevice({ bikeId, rotate: false });
    return { bikeId, secret, deviceKey: `${bikeId}:${secret}` };
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

  /** POSTs a batch to the device door; answers the status, headers and JSON body. */
  async post(body: string | Uint8Array, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${this.ready.deviceUrl}/v1/readings`, { method: 'POST', body, headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  /** Streams the messages over Ingest and answers its summary. */
  ingest(messages: Reading[][], metadata = new Metadata()): Promise<IngestResponse> {
    return new Promise((resolve, reject) => {
      const call = this.client.raw.ingest(metadata, { deadline: Date.now() + 30_000 }, (error: ServiceError | null, response: IngestResponse) =>
        error ? reject(error) : resolve(response),
      );
      for (const readings of messages) call.write({ readings });
      call.end();
    });
  }

  /** The readings the service stored (once each), by bike. */
  async storedReadings(bikeId: string): Promise<{ sequence: number; curated: boolean }[]> {
    const rows = await this.service.db.query<{ sequence: string; curation_batch: string | null }>(
      'SELECT sequence, curation_batch FROM readings WHERE bike_id = $1 ORDER BY sequence',
      [bikeId],
    );
    return rows.map((row) => ({ sequence: Number(row.sequence), curated: row.curation_batch !== null }));
  }

  /** Every line of a zone (raw or rejects), parsed. */
  zoneLines(zone: 'raw' | 'rejects'): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    const walk = (dir: string) => {
      for (const name of safeReaddir(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ndjson')) lines.push(...readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
      }
    };
    walk(join(this.lakeDir, zone));
    return lines;
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

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
