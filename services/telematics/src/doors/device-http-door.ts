// The HTTPS door, for devices and partners that cannot speak MQTT (the seed's "API Gateway +
// Lambda"): POST /v1/readings with a batch as NDJSON, a JSON array, or a protobuf ReadingBatch,
// and the device key "<bike id>:<secret>" as a bearer token. It answers once the batch is durable
// (stored, or on the production stream kept by JetStream):
//   202 with counts (and a reason per refused line), 400 when nothing in it could be taken in,
//   401 without a valid key, 403 when a line names another bike, 413 when too large, 415 for an
//   unknown content type, 429 when the device sends too often (with Retry-After).
// A reading that cannot be read is refused alone, as a line of the answer; docs/telematics.md
// ("The HTTPS door's statuses") says what each status asks of the device.
import type { ServerOptions } from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { listen } from '../../../platform/src/http-listen';
import { serverSpan } from '../../../platform/src/telemetry/server-span';
import type { Logger } from '../../../platform/src/logger';
import type { DeviceRegistry } from '../domain/device-registry';
import { BATCH_LIMIT, type Arrival, type ReadingIntake } from '../domain/reading';
import { ndjsonPayloads, protobufPayload, protobufReadings } from './reading-payloads';
import { IngestSummary } from '../domain/ingest-summary';
import { recordRefusedDevice } from '../telematics-metrics';
import { bodyErrorOf } from '../../../platform/src/http-body-errors';
import { retryAfterSeconds } from '../../../platform/src/errors';

class DoorError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Splits a body into one payload per reading, as the raw zone keeps them. */
function payloadsOf(body: Buffer, contentType: string): Pick<Arrival, 'encoding' | 'payload'>[] {
  if (contentType === 'application/x-protobuf') {
    let readings: Uint8Array[];
    try {
      readings = protobufReadings(body);
    } catch (error) {
      throw new DoorError(400, 'BAD_REQUEST', `the body is not a protobuf ReadingBatch: ${(error as Error).message}`);
    }
    // Each reading is judged on its own, so one that does not decode is refused alone.
    return readings.map((reading) => ({ encoding: 'protobuf', payload: protobufPayload(reading) }));
  }
  const text = body.toString('utf8');
  if (contentType === 'application/x-ndjson') return ndjsonPayloads(text);
  if (contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DoorError(400, 'BAD_REQUEST', `the body is not JSON: ${(error as Error).message}; send an array of readings, or use application/x-ndjson`);
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((item) => ({ encoding: 'json', payload: JSON.stringify(item) }));
  }
  throw new DoorError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/x-ndjson, application/json (an array of readings) or application/x-protobuf (a ReadingBatch)');
}

export async function startDeviceHttpDoor(options: {
  host: string;
  port: number;
  tls?: ServerOptions;
  intake: ReadingIntake;
  devices: DeviceRegistry;
  batchesPerSecond: number;
  maxBodyBytes: number;
  logger: Logger;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const limiter = new RateLimiterMemory({ points: options.batchesPerSecond, duration: 1 });
  const app = express();
  app.disable('x-powered-by');
  // No ETag (a SHA-1 of every answer): a device's batch is a POST, and its answer is never revalidated.
  app.set('etag', false);
  // No /metrics here: devices reach this port from outside; metrics are on the subgraph's port.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const authenticate = async (req: Request): Promise<string> => {
    const match = /^Bearer ([0-9a-fA-F-]{36}):(\S+)$/.exec(req.header('authorization') ?? '');
    if (!match) throw new DoorError(401, 'UNAUTHENTICATED', 'send the device key as "Authorization: Bearer <bike id>:<secret>"', { 'www-authenticate': 'Bearer' });
    const bikeId = match[1].toLowerCase();
    if (!(await options.devices.verify(bikeId, match[2]))) {
      recordRefusedDevice(1, { door: 'http', reason: 'bad_credentials' });
      throw new DoorError(401, 'UNAUTHENTICATED', 'the device key is not valid (or was rotated)', { 'www-authenticate': 'Bearer' });
    }
    try {
      await limiter.consume(bikeId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const retryAfter = String(retryAfterSeconds(refusal.msBeforeNext));
      throw new DoorError(429, 'RATE_LIMITED', `at most ${options.batchesPerSecond} batches a second per device; send larger batches`, { 'retry-after': retryAfter });
    }
    return bikeId;
  };

  app.post(
    '/v1/readings',
    serverSpan('/v1/readings'),
    async (req, res, next) => {
      try {
        // The key is checked before the body is read, so an anonymous sender cannot make us buffer it.
        res.locals.bikeId = await authenticate(req);
        next();
      } catch (error) {
        next(error);
      }
    },
    express.raw({ type: () => true, limit: options.maxBodyBytes }),
    async (req, res, next) => {
      try {
        const contentType = (req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
        const payloads = payloadsOf(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), contentType);
        if (payloads.length === 0) throw new DoorError(400, 'BAD_REQUEST', 'the batch holds no readings');
        if (payloads.length > BATCH_LIMIT) throw new DoorError(413, 'PAYLOAD_TOO_LARGE', `a batch holds at most ${BATCH_LIMIT} readings; it had ${payloads.length}`);
        const receivedAt = new Date();
        const sender = res.locals.bikeId as string;
        const verdicts = await options.intake.submit(payloads.map((payload) => ({ door: 'http', sender, receivedAt, ...payload })));
        const summary = new IngestSummary();
        summary.add(verdicts, 0);
        const posing = summary.rejections.some((rejection) => rejection.rule === 'device.mismatch');
        if (posing) recordRefusedDevice(1, { door: 'http', reason: 'other_bike' });
        // The status says what was stored: 202 when any reading was (the lines refused, a line naming
        // another bike among them, are listed), 403 when nothing was and a line named another bike.
        const stored = summary.acceptedCount + summary.duplicateCount + summary.queuedCount;
        const status = stored > 0 ? 202 : posing ? 403 : 400;
        res.status(status).json({
          accepted: summary.acceptedCount,
          duplicates: summary.duplicateCount,
          // On the production stream: kept by JetStream, to be taken in (or found duplicate) by a processor.
          queued: summary.queuedCount,
          rejected: summary.rejectedCount,
          rejections: summary.rejections.map(({ index, rule, reason }) => ({ line: index + 1, rule, reason })),
        });
      } catch (error) {
        next(error);
      }
    },
  );
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const body = bodyErrorOf(error);
    const refusal =
      error instanceof DoorError
        ? error
        : body?.code === 'PAYLOAD_TOO_LARGE'
          ? new DoorError(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${options.maxBodyBytes} bytes; split the batch`)
          : body && new DoorError(body.httpStatus, body.code, body.message);
    if (refusal) {
      res.status(refusal.httpStatus).set(refusal.headers).json({ error: { code: refusal.code, message: refusal.message } });
      return;
    }
    // The raw zone or the database failed: nothing of the batch was acknowledged; the device retries.
    options.logger.error({ err: error }, 'device batch failed before it was durable');
    res.status(503).set('retry-after', '1').json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'the batch was not stored; retry it' } });
  });

  const http = await listen(app, options.host, options.port, options.tls, { refused: (reason) => recordRefusedDevice(1, { door: 'http', reason }) });
  return { url: http.origin, stop: () => http.close() };
}
