// The production stream's contract (TELEMATICS_BUS=nats://...), shared by the two sides of it: the
// edge, which publishes what the HTTPS and gRPC doors take in, and the processor, which reads it.
// - Bikes publish over MQTT to NATS's own listener; the topic ecowheels/v1/bikes/<id>/readings
//   becomes the subject ecowheels.v1.bikes.<id>.readings, and the subject is the sender.
// - What an operator sends (the gRPC stream, dropped files) goes to ecowheels.v1.operator.readings;
//   in production only the edge's and the API's NATS users may publish there.
// - In production NATS runs in operator mode: each workload connects as its own NATS user (a .creds
//   file, TELEMATICS_BUS_CREDS_FILE) with only the rights it needs (bus/nats-accounts.ts).
// - One message is one input, its payload as it arrived. Headers say which door took it in and how
//   it is encoded; a message from NATS's MQTT listener has none (MQTT 3.1.1 has no headers), so it
//   is an MQTT input whose encoding is read from its first byte, as the embedded broker does.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, headers, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { waitAtMost } from '../../../platform/src/wait-at-most';
import { OPERATOR_SENDER } from '../domain/ingest-pipeline';
import type { Arrival, Door, PayloadEncoding } from '../domain/reading';
import { arrivalOf, bikeOfTopic } from './mqtt-topics';

export const STREAM = 'TELEMATICS';
/** NATS's MQTT listener maps the topic ecowheels/v1/bikes/<id>/readings to this subject. */
export const READINGS_SUBJECTS = 'ecowheels.v1.bikes.*.readings';
export const OPERATOR_SUBJECT = 'ecowheels.v1.operator.readings';
export const DURABLE = 'telematics-processor';

const DOOR_HEADER = 'Ecowheels-Door';
const ENCODING_HEADER = 'Ecowheels-Encoding';
const DOORS: readonly Door[] = ['mqtt', 'http', 'grpc', 'file', 'replay'];
const ENCODINGS: readonly PayloadEncoding[] = ['json', 'protobuf', 'csv'];

/** A bike's readings subject. */
export const bikeSubject = (bikeId: string) => `ecowheels.v1.bikes.${bikeId}.readings`;

/** A NATS user's own reply subjects (the client's inboxPrefix), so no user can read another's replies. */
export const inboxPrefixOf = (userName: string) => `_INBOX_${userName}`;

/** The user name a .creds file's JWT carries (it names the user's own inbox prefix). */
function userNameOf(creds: string): string {
  const jwt = /-----BEGIN NATS USER JWT-----\s*(\S+)/.exec(creds)?.[1];
  if (!jwt) throw new Error('the NATS credentials file holds no user JWT (expected a .creds file from `npm run nats:accounts`)');
  return (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { name: string }).name;
}

/**
 * Connects as this workload's NATS user (a .creds file; none on a server without auth). Replies
 * come to the user's own inbox prefix, the only subjects its permissions let it subscribe to.
 */
export async function connectBus(url: string, name: string, credsFile?: string): Promise<NatsConnection> {
  const creds = credsFile ? readFileSync(credsFile, 'utf8') : undefined;
  const auth = creds ? { authenticator: credsAuthenticator(new TextEncoder().encode(creds)), inboxPrefix: inboxPrefixOf(userNameOf(creds)) } : {};
  // The client's own typings do not resolve under this project's module settings: the type is nats-core's.
  const nc: NatsConnection = await connect({ servers: url, name, maxReconnectAttempts: -1, ...auth });
  return nc;
}

/** Drains the connection (what is buffered, acknowledgements included, is sent), but a server that is gone cannot hold a stop. */
export async function closeBus(nc: NatsConnection): Promise<void> {
  await waitAtMost(nc.drain(), 1000);
  if (!nc.isClosed()) await nc.close();
}

/**
 * How the stream keeps what it holds: on disk, until a processor acknowledges it (a work queue, so
 * an acknowledged message is deleted), and a week at most: a unit buffers no longer than that
 * either. The deletes are most of nats-server's work per message (about 130 µs of CPU on 2.9.10,
 * against 12 to 15 µs where acknowledged messages are kept), so the bench's bare consumer reads a
 * stream kept the same way.
 */
export const STREAM_KEEPING = { storage: StorageType.File, retention: RetentionPolicy.Workqueue, max_age: nanos(7 * 24 * 3_600_000) };

/** Creates the stream when it is missing, and adds the operator subject to one made before it had it. */
export async function ensureStream(nc: NatsConnection, replicas: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const existing = await jsm.streams.info(STREAM).catch(() => undefined);
  const subjects = [READINGS_SUBJECTS, OPERATOR_SUBJECT];
  if (!existing) {
    await jsm.streams.add({ name: STREAM, subjects, num_replicas: replicas, ...STREAM_KEEPING });
  } else if (!subjects.every((subject) => existing.config.subjects?.includes(subject))) {
    await jsm.streams.update(STREAM, { ...existing.config, subjects: [...new Set([...(existing.config.subjects ?? []), ...subjects])] });
  }
}

/** The subject an input is published to: its bike's own, or the operator's. */
export function subjectOf(arrival: Arrival): string {
  return arrival.sender === OPERATOR_SENDER ? OPERATOR_SUBJECT : bikeSubject(arrival.sender);
}

/** An input as a stream message: its payload's bytes, and the door and encoding as headers. */
export function messageOf(arrival: Arrival): { data: Uint8Array; headers: MsgHdrs } {
  const h = headers();
  h.set(DOOR_HEADER, arrival.door);
  h.set(ENCODING_HEADER, arrival.encoding);
  const data = arrival.encoding === 'protobuf' ? Buffer.from(arrival.payload, 'base64') : Buffer.from(arrival.payload, 'utf8');
  return { data, headers: h };
}

/**
 * A stream message as the input it was: the sender from its subject, the door and encoding from its
 * headers (an MQTT input without them), received when JetStream stored it, also when it is
 * delivered again later. (The stream holds only the subjects above, so every message has a sender.)
 */
export function arrivalOfMessage(message: Pick<JsMsg, 'subject' | 'data' | 'headers' | 'info'>): Arrival {
  const sender = message.subject === OPERATOR_SUBJECT ? OPERATOR_SENDER : (bikeOfTopic(message.subject.replaceAll('.', '/')) ?? '');
  const receivedAt = new Date(Math.floor(message.info.timestampNanos / 1e6));
  const payload = Buffer.from(message.data);
  const door = message.headers?.get(DOOR_HEADER) as Door | undefined;
  const encoding = message.headers?.get(ENCODING_HEADER) as PayloadEncoding | undefined;
  if (!door || !encoding || !DOORS.includes(door) || !ENCODINGS.includes(encoding)) return arrivalOf(payload, sender, receivedAt);
  return { door, sender, receivedAt, encoding, payload: encoding === 'protobuf' ? payload.toString('base64') : payload.toString('utf8') };
}
