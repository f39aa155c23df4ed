// The gRPC Ingest stream's own faults, on a real gRPC server on loopback in front of an intake that
// fails as storage or JetStream would: a failure in the middle of a stream is the stream's error
// (UNAVAILABLE, so the device sends it again), never an unhandled rejection that would end the
// process; and a stream is ended by the server's own deadline when its client set none.
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { unavailable } from '../../services/platform/src/errors';
import { Reading, TelematicsServiceClient, type IngestResponse } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { createLogger } from '../../services/platform/src/logger';
import { meshCredentials } from '../../services/platform/src/mesh/credentials';
import { startGrpcServer, type RunningGrpcServer } from '../../services/platform/src/grpc/server';
import type { DeviceRegistry } from '../../services/telematics/src/domain/device-registry';
import type { Arrival, IntakeVerdict, ReadingIntake } from '../../services/telematics/src/domain/reading';
import type { RideImpacts } from '../../services/telematics/src/domain/ride-impacts';
import { telematicsHandlers, telematicsServiceDefinition, type TelematicsServing } from '../../services/telematics/src/grpc/telematics-handlers';
import { readingJson } from '../support/telematics';

const INGEST_DEADLINE_MS = 1500;
const readingProto = (bikeId: string, sequence: number) => Reading.fromJSON(readingJson(bikeId, sequence));

describe('the gRPC Ingest stream', () => {
  let server: RunningGrpcServer;
  let client: TelematicsServiceClient;
  let submit: (arrivals: readonly Arrival[]) => Promise<IntakeVerdict[]>;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const intake: ReadingIntake = { submit: (arrivals) => submit(arrivals) };
    const handlers = telematicsHandlers(intake, {} as DeviceRegistry, {} as RideImpacts, { ingestDeadlineMs: INGEST_DEADLINE_MS });
    const mesh = meshCredentials({ mode: 'istio', certsDir: '', identity: 'telematics' });
    server = await startGrpcServer<TelematicsServing>(
      { definition: telematicsServiceDefinition, name: 'ecowheels.telematics.v1.TelematicsService', protoFile: 'ecowheels/telematics/v1/telematics_service.proto', handlers },
      { host: '127.0.0.1', port: 0, logger: createLogger('test', 'silent'), mesh },
    );
    client = new TelematicsServiceClient(server.address, credentials.createInsecure());
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    client?.close();
    await server?.shutdown(0);
  });

  const open = (deadline?: number) => {
    let settle!: (outcome: { error: ServiceError | null; response?: IngestResponse }) => void;
    const outcome = new Promise<{ error: ServiceError | null; response?: IngestResponse }>((resolve) => (settle = resolve));
    const call = client.ingest(new Metadata(), deadline ? { deadline } : {}, (error: ServiceError | null, response?: IngestResponse) => settle({ error, response }));
    return { call, outcome };
  };

  it('answers a storage failure in the middle of a stream as UNAVAILABLE, with no unhandled rejection', async () => {
    submit = () => Promise.reject(unavailable('the raw zone cannot be written now; send the readings again'));
    const { call, outcome } = open(Date.now() + 20_000);
    call.write({ readings: [readingProto('11111111-1111-4111-8111-111111111111', 1)] });
    // The stream stays open while the failed submission settles: the old handler left it without a
    // handler until the stream ended, and Node reported it as unhandled (which ends a service).
    await new Promise((resolve) => setTimeout(resolve, 300));
    call.write({ readings: [readingProto('11111111-1111-4111-8111-111111111111', 2)] });
    call.end();
    const { error } = await outcome;
    expect({ code: error?.code, details: error?.details }).toEqual({ code: status.UNAVAILABLE, details: 'the raw zone cannot be written now; send the readings again' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('ends a stream its client keeps open past the server deadline with DEADLINE_EXCEEDED', async () => {
    submit = (arrivals) => Promise.resolve(arrivals.map(() => ({ kind: 'queued', reading: {} }) as unknown as IntakeVerdict));
    const { call, outcome } = open(); // no deadline of its own
    call.write({ readings: [readingProto('22222222-2222-4222-8222-222222222222', 1)] });
    const { error } = await outcome;
    expect({ code: error?.code, details: error?.details }).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details: `an Ingest stream may stay open ${INGEST_DEADLINE_MS / 1000} s; send the rest on a new stream`,
    });
    call.cancel();
  });
});
