// The four doors in front of the one pipeline: MQTT (the embedded broker, a subscription to an
// external one, or, with TELEMATICS_BUS, the JetStream stream that NATS's MQTT listener fills),
// HTTPS for device batches, and the landing folder for files. (The fourth, the gRPC
// stream, is a method of the service's gRPC server.) TLS guards the device doors beyond loopback.
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../platform/src/logger';
import type { TelematicsConfig } from '../config';
import type { TelematicsCore } from '../telematics-core';
import { startDeviceHttpDoor } from './device-http-door';
import { startEmbeddedMqttBroker } from './embedded-mqtt-broker';
import { startExternalMqttSubscriber } from './external-mqtt-subscriber';
import { startJetStreamProcessor } from './jetstream-processor';
import { startLandingFileDoor } from './landing-file-door';

export interface RunningDoors {
  /** For the "ready" line: where devices connect. */
  addresses: Record<string, string>;
  stop(): Promise<void>;
}

export async function startDoors(config: TelematicsConfig, core: TelematicsCore, logger: Logger): Promise<RunningDoors> {
  const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : undefined;
  const { pipeline, devices } = core;
  const stops: (() => Promise<void>)[] = [];
  const addresses: Record<string, string> = {};
  try {
    if (config.bus && config.role === 'api') {
      addresses.busUrl = config.bus.url; // bikes publish there; the processors read it
    } else if (config.bus) {
      const processor = await startJetStreamProcessor({ ...config.bus, pipeline, logger });
      stops.push(processor.stop);
      addresses.busUrl = processor.url;
    } else if (config.mqtt.externalUrl) {
      const subscriber = await startExternalMqttSubscriber({ ...config.mqtt, url: config.mqtt.externalUrl, pipeline, logger });
      stops.push(subscriber.stop);
      addresses.mqttUrl = config.mqtt.externalUrl;
    } else {
      const broker = await startEmbeddedMqttBroker({ host: config.host, port: config.mqtt.port, tls, pipeline, devices, logger });
      stops.push(broker.stop);
      addresses.mqttUrl = broker.url;
    }
    if (config.role === 'processor') {
      addresses.role = 'processor'; // no doors of its own: it only drains the stream
    } else {
      const http = await startDeviceHttpDoor({ host: config.host, tls, pipeline, devices, logger, ...config.deviceHttp });
      stops.push(http.stop);
      addresses.deviceUrl = http.url;
      const files = startLandingFileDoor({ dir: config.landingDir, pipeline, logger });
      stops.push(files.stop);
      addresses.landingDir = config.landingDir;
    }
  } catch (error) {
    await Promise.all(stops.map((stop) => stop()));
    throw error;
  }
  return {
    addresses,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
