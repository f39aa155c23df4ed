// TelematicsService over gRPC. Ingest is the stream door: readings in any number of messages,
// one summary at the end, sent only after every accepted reading is durable (the intake says
// when: the pipeline, or JetStream on the production stream). ProvisionDevice, RevokeDevice and
// GetRideImpact are thin calls into the domain.
import { z } from 'zod';
import { Reading as ProtoReading, type IngestRequest, type TelematicsServiceServer } from '../../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { invalidArgument, notFound } from '../../../platform/src/errors';
import type { AsyncHandlers } from '../../../platform/src/grpc/server';
import { parseRequest, uuidField } from '../../../platform/src/grpc/validation';
import type { DeviceRegistry } from '../domain/device-registry';
import { OPERATOR_SENDER } from '../domain/ingest-pipeline';
import { IngestSummary } from '../domain/ingest-summary';
import { BATCH_LIMIT, type Arrival, type ReadingIntake } from '../domain/reading';
import { candidateOfProto, protobufPayload } from '../doors/reading-payloads';
import type { RideImpacts } from '../domain/ride-impacts';

/** A Reading decoded by gRPC, as the raw zone keeps it (its protobuf bytes), and as decoded. */
const arrivalOf = (reading: ProtoReading, receivedAt: Date): Arrival => ({
  door: 'grpc',
  sender: OPERATOR_SENDER,
  receivedAt,
  encoding: 'protobuf',
  payload: protobufPayload(reading),
  decoded: candidateOfProto(reading),
});

export function telematicsHandlers(intake: ReadingIntake, devices: DeviceRegistry, impacts: RideImpacts): AsyncHandlers<TelematicsServiceServer> {
  return {
    async ingest(requests: AsyncIterable<IngestRequest>) {
      const summary = new IngestSummary();
      const submitted: Promise<void>[] = [];
      let index = 0;
      // Messages are submitted as they come, so the stream's batches share group commits; the
      // summary waits for all of them. If the stream fails half-way, what was submitted is still
      // waited for (and is durable or not, as a retry of the stream will find out) before the error.
      try {
        for await (const message of requests) {
          // A larger message is refused as a whole.
          if (message.readings.length > BATCH_LIMIT) {
            throw invalidArgument(`a message carries ${message.readings.length} readings; send at most ${BATCH_LIMIT} per message`);
          }
          const receivedAt = new Date();
          const first = index;
          index += message.readings.length;
          submitted.push(intake.submit(message.readings.map((reading) => arrivalOf(reading, receivedAt))).then((verdicts) => summary.add(verdicts, first)));
        }
      } catch (error) {
        await Promise.allSettled(submitted);
        throw error;
      }
      await Promise.all(submitted);
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
