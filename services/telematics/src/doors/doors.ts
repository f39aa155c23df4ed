// The four doors in front of the one pipeline: MQTT (the embedded broker, a subscription to an
// external one, or, with TELEMATICS_BUS, the JetStream stream that NATS's MQTT listener fills),
// HTTPS for device batches, and the landing folder for files. (The fourth, the gRPC
// stream, is a method of the service's gRPC server.) TLS guards the device doors beyond loopback.
//
// With TELEMATICS_BUS the doors hand what they take in to the stream (StreamIntake) instead of the
// pipeline, and the roles split the work between workloads:
//   all        the processor, the doors and the API in one process;
//   processor  only the stream's processor (and the cleaner): what KEDA scales from zero;
//   edge       only the device HTTPS door and the gRPC stream, publishing to the stream;
//   api        the API; its gRPC stream publishes to the stream too, and it opens no device door.
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../platform/src/logger';
import type { TelematicsConfig } from '../config';
import type { ReadingIntake } from '../domain/reading';
import type { TelematicsCore } from '../telematics-core';
import { startDeviceHttpDoor } from './device-http-door';
import { startEmbeddedMqttBroker } from './embedded-mqtt-broker';
import { startLandingFileDoor } from './landing-file-door';
import { recordConsumerPending } from '../telematics-metrics';

export interface RunningDoors {
  /** For the "ready" line: where devices connect. */
  addresses: Record<string, string>;
  /** Where the gRPC stream hands its readings. */
  intake: ReadingIntake;
  stop(): Promise<void>;
}

export async function startDoors(config: TelematicsConfig, core: TelematicsCore, logger: Logger): Promise<RunningDoors> {
  const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : undefined;
  const { pipeline, devices } = core;
  const { role, bus } = config;
  const stops: (() => Promise<void>)[] = [];
  const addresses: Record<string, string> = { role };
  let intake: ReadingIntake = pipeline;
  // The doors' connection to the stream closes after them, once nothing publishes through it.
  let stopBus = async () => {};
  const stopAll = async () => {
    await Promise.all(stops.map((stop) => stop()));
    await stopBus();
  };
  try {
    // The bus's and an external broker's clients are loaded only where they are configured: they
    // cost the embedded default about 0.15 s of CPU at every start for nothing. (require, not
    // import(): the compiled CommonJS must resolve our files as the tests do.)
    if (bus) {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { startJetStreamProcessor } = require('./jetstream-processor') as typeof import('./jetstream-processor');
      const { closeBus, connectBus, ensureStream } = require('./telematics-bus') as typeof import('./telematics-bus');
      const { StreamIntake } = require('./stream-intake') as typeof import('./stream-intake');
      /* eslint-enable @typescript-eslint/no-require-imports */
      addresses.busUrl = bus.url; // bikes publish there
      if (role === 'all' || role === 'processor') {
        const processor = await startJetStreamProcessor({ ...bus, pipeline, logger, onPending: (messages) => recordConsumerPending(messages) });
        stops.push(processor.stop);
      }
      if (role !== 'processor') {
        const nc = await connectBus(bus.url, `telematics-${role}`, bus.credsFile);
        stopBus = () => closeBus(nc);
        await ensureStream(nc, bus.replicas);
        intake = new StreamIntake(nc, pipeline);
      }
    } else if (config.mqtt.externalUrl) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for an external broker
      const { startExternalMqttSubscriber } = require('./external-mqtt-subscriber') as typeof import('./external-mqtt-subscriber');
      const subscriber = await startExternalMqttSubscriber({ ...config.mqtt, url: config.mqtt.externalUrl, pipeline, logger });
      stops.push(subscriber.stop);
      addresses.mqttUrl = config.mqtt.externalUrl;
    } else {
      const broker = await startEmbeddedMqttBroker({ host: config.host, port: config.mqtt.port, tls, maxPacketBytes: config.mqtt.maxPacketBytes, connectTimeoutMs: config.mqtt.connectTimeoutMs, maxConnections: config.mqtt.maxConnections, maxConnectionsPerAddress: config.mqtt.maxConnectionsPerAddress, pipeline, devices, logger });
      stops.push(broker.stop);
      addresses.mqttUrl = broker.url;
    }
    if (role === 'all' || role === 'edge') {
      const http = await startDeviceHttpDoor({ host: config.host, tls, intake, devices, logger, ...config.deviceHttp });
      stops.push(http.stop);
      addresses.deviceUrl = http.url;
    }
    if (role === 'all') {
      const files = startLandingFileDoor({ dir: config.landingDir, intake, logger, maxFileBytes: config.landingMaxFileBytes });
      stops.push(files.stop);
      addresses.landingDir = config.landingDir;
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { addresses, intake, stop: stopAll };
}
