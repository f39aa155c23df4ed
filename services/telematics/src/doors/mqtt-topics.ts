// The MQTT contract: each bike publishes its readings, QoS 1, to its own topic. The payload is a
// Reading in protobuf binary or in the proto3 JSON mapping (a payload starting with "{" is JSON:
// no Reading in binary can start with that byte, which would be field 15 as a group).
import type { Arrival } from '../domain/reading';

export const TOPIC_PREFIX = 'ecowheels/v1/bikes/';
const TOPIC = /^ecowheels\/v1\/bikes\/([^/]+)\/readings$/;

export const readingsTopic = (bikeId: string) => `${TOPIC_PREFIX}${bikeId}/readings`;

/** The bike a readings topic names, or undefined for any other topic. */
export const bikeOfTopic = (topic: string) => TOPIC.exec(topic)?.[1]?.toLowerCase();

/** The shared subscription every replica joins, so the broker splits the bikes' messages between them. */
export const sharedSubscription = (group: string) => `$share/${group}/${TOPIC_PREFIX}+/readings`;

export function arrivalOf(payload: Buffer, sender: string, receivedAt: Date): Arrival {
  const json = payload.length > 0 && payload[0] === 0x7b; // "{"
  return {
    door: 'mqtt',
    sender,
    receivedAt,
    encoding: json ? 'json' : 'protobuf',
    payload: json ? payload.toString('utf8') : payload.toString('base64'),
  };
}
