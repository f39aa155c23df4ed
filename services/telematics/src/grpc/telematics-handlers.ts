// TelematicsService over gRPC. Ingest is the stream door: readings in any number of messages,
// one summary at the end, sent only after every accepted reading is durable (the intake says
// when: the pipeline, or JetStream on the production stream). ProvisionDevice, RevokeDevice and
// GetRideImpact are thin calls into the domain.
import type { handleClientStreamingCall } from '@grpc/grpc-js';
import { z } from 'zod';
import {
  TelematicsServiceService,
  type IngestResponse,
  type TelematicsServiceServer,
} from '../../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { deadlineExceeded, invalidArgument, notFound } from '../../../platform/src/errors';
import type { AsyncHandlers, KnownKeys } from '../../../platform/src/grpc/server';
import { parseRequest, uuidField } from '../../../platform/src/grpc/validation';
import type { DeviceRegistry } from '../domain/device-registry';
import { OPERATOR_SENDER } from '../domain/ingest-pipeline';
import { IngestSummary } from '../domain/ingest-summary';
import { BATCH_LIMIT, type Arrival, type ReadingIntake } from '../domain/reading';
import { protobufPayload, protobufReadings } from '../doors/reading-payloads';
import type { RideImpacts } from '../domain/ride-impacts';

/**
 * An IngestRequest as this server reads it: each Reading's own bytes, left to the rules to decode.
 * Decoded whole, one reading with a time beyond a JavaScript Date would fail its message (or the
 * stream), and the good readings around it with it.
 */
export interface IngestMessage {
  readings: Uint8Array[];
}

/** TelematicsService as served here: Ingest reads IngestMessage, the other methods as generated. */
export type TelematicsServing = Pick<TelematicsServiceServer, Exclude<KnownKeys<TelematicsServiceServer>, 'ingest'>> & {
  ingest: handleClientStreamingCall<IngestMessage, IngestResponse>;
};

/** The generated service definition, with Ingest's messages split into readings instead of decoded. */
export const telematicsServiceDefinition = {
  ...TelematicsServiceService,
  ingest: { ...TelematicsServiceService.ingest, requestDeserialize: (bytes: Buffer): IngestMessage => ({ readings: protobufReadings(bytes) }) },
};

/** A Reading as it came over gRPC: the raw zone keeps its bytes as sent, and the rules decode them. */
const arrivalOf = (reading: Uint8Array, receivedAt: Date): Arrival => ({
  door: 'grpc',
  sender: OPERATOR_SENDER,
  receivedAt,
  encoding: 'protobuf',
  payload: protobufPayload(reading),
});

/** The next message of a stream, or DEADLINE_EXCEEDED once the server's deadline for the stream has passed. */
async function nextBefore<T>(messages: AsyncIterator<T>, deadline: number, deadlineMs: number): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(deadlineExceeded(`an Ingest stream may stay open ${deadlineMs / 1000} s; send the rest on a new stream`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([messages.next(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TelematicsHandlerOptions {
  /** How long an Ingest stream may stay open, whatever deadline its client set (or none). */
  ingestDeadlineMs: number;
}

export function telematicsHandlers(
  intake: ReadingIntake,
  devices: DeviceRegistry,
  impacts: RideImpacts,
  options: TelematicsHandlerOptions,
): AsyncHandlers<TelematicsServing> {
  return {
    async ingest(requests: AsyncIterable<IngestMessage>) {
      const summary = new IngestSummary();
      const submitted: Promise<void>[] = [];
      // The first submission that failed (storage, JetStream). Each submission has its handler from
      // the start: a failure while the stream is still being read must not be an unhandled rejection.
      let failure: { error: unknown } | undefined;
      let index = 0;
      const deadline = Date.now() + options.ingestDeadlineMs;
      const messages = requests[Symbol.asyncIterator]();
      // Messages are submitted as they come, so the stream's batches share group commits; the
      // summary waits for all of them. If the stream fails half-way, what was submitted is still
      // waited for (and is durable or not, as a retry of the stream will find out) before the error.
      try {
        for (let next = await nextBefore(messages, deadline, options.ingestDeadlineMs); !next.done; next = await nextBefore(messages, deadline, options.ingestDeadlineMs)) {
          const message = next.value;
          // A larger message is refused as a whole.
          if (message.readings.length > BATCH_LIMIT) {
            throw invalidArgument(`a message carries ${message.readings.length} readings; send at most ${BATCH_LIMIT} per message`);
          }
          // Once a submission failed, the summary cannot be sent: stop reading and say so.
          if (failure) throw failure.error;
          const receivedAt = new Date();
          const first = index;
          index += message.readings.length;
          submitted.push(
            intake.submit(message.readings.map((reading) => arrivalOf(reading, receivedAt))).then(
              (verdicts) => summary.add(verdicts, first),
              (error: unknown) => {
                failure ??= { error };
              },
            ),
          );
        }
      } catch (error) {
        await Promise.all(submitted);
        void messages.return?.();
        throw error;
      }
      await Promise.all(submitted);
      if (failure) throw failure.error;
      return summary;
    },
    async provisionDevice(request) {
      const { bikeId, rotate } = parseRequest(z.object({ bikeId: uuidField, rotate: z.boolean() }), request);
      const { secret, createdAt, bus } = await devices.provision(bikeId.toLowerCase(), rotate);
      return {
        bikeId: bikeId.toLowerCase(),
        secret,
        createTime: createdAt,
        bus: bus && { mqttUrl: bus.url ?? '', username: bikeId.toLowerCase(), password: bus.jwt, clientId: bus.clientId, topic: bus.topic, expireTime: bus.expiresAt, userPublicKey: bus.key },
      };
    },
    async revokeDevice(request) {
      const { bikeId } = parseRequest(z.object({ bikeId: uuidField }), request);
      const { revokedAt, busUser } = await devices.revoke(bikeId.toLowerCase());
      return { bikeId: bikeId.toLowerCase(), revokeTime: revokedAt, busUserPublicKey: busUser ?? '' };
    },
    async getRideImpact(request) {
      const { rideId } = parseRequest(z.object({ rideId: uuidField }), request);
      const [impact] = await impacts.rides([rideId.toLowerCase()]);
      if (!impact) throw notFound(`no reading has named ride ${rideId}`);
      return {
        impact: {
          rideId: impact.rideId,
          bikeId: impact.bikeId,
          distanceMeters: impact.distanceMeters,
          movingSeconds: impact.movingSeconds,
          energyWh: impact.energyWh,
          co2AvoidedGrams: impact.co2AvoidedGrams,
          readingCount: impact.readingCount,
          startTime: impact.firstRecordedAt,
          endTime: impact.lastRecordedAt,
        },
      };
    },
  };
}
