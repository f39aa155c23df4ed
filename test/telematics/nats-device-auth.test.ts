// Devices authenticated on the production bus, against a real nats-server in operator mode (full
// resolver, the accounts and users `npm run nats:accounts` makes): each bike is a NATS user the
// device registry minted, that may publish its own readings over MQTT and nothing else; a wrong,
// edited, foreign-signed, expired, rotated or revoked credential is refused; a revoked bike is cut
// off within seconds with no server reload; and each workload's own user has only its rights.
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { createAccount } from '@nats-io/nkeys';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { deviceUserJwt } from '../../services/telematics/src/bus/nats-accounts';
import type { DeviceIssuerSecrets } from '../../services/telematics/src/bus/nats-device-issuer';
import { bikeSubject, DURABLE, STREAM } from '../../services/telematics/src/doors/telematics-bus';
import { eventually } from '../support/eventually';
import { NatsServer, natsServerOrFailingTest } from '../support/nats-server';
import { describeWithPostgres } from '../support/postgres';
import { readingJson, TelematicsUnderTest } from '../support/telematics';

describeWithPostgres('devices authenticated on the bus (NATS operator mode)', () => {
  if (!natsServerOrFailingTest()) return;
  let nats: NatsServer;
  let telematics: TelematicsUnderTest;
  let issuer: DeviceIssuerSecrets;
  const opened: (MqttClient | NatsConnection)[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    issuer = JSON.parse(readFileSync(nats.accounts.deviceIssuer, 'utf8')) as DeviceIssuerSecrets;
    telematics = await TelematicsUnderTest.start({ ...nats.env('all'), TELEMATICS_BUS_ACK_WAIT_MS: '2000' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(opened.map((client) => ('endAsync' in client ? client.endAsync(true) : client.close())));
    await telematics?.stop();
    await nats?.stop();
  });

  /** Connects over NATS's MQTT listener as a bike would; rejects when the server refuses the CONNECT. */
  const connectBike = async (bikeId: string, password: string): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(nats.mqttUrl, { protocolVersion: 4, clientId: `bike-${bikeId}`, username: bikeId, password, reconnectPeriod: 0, connectTimeout: 5000 });
    opened.push(client);
    return client;
  };
  const refusal = (bikeId: string, password: string) => connectBike(bikeId, password).then(() => 'accepted', (error: Error) => error.message);
  const NOT_AUTHORIZED = 'Connection refused: Not authorized';
  const stored = async (bikeId: string) => (await telematics.storedReadings(bikeId)).map((reading) => reading.sequence);

  it('stores a bike\'s own reading, and not one it publishes on another bike\'s subject', async () => {
    const own = await telematics.provision();
    const other = await telematics.provision();
    const bike = await connectBike(own.bikeId, own.bus!.password);
    // NATS drops the publish outside the bike's permission (a Publish Violation), yet MQTT 3.1.1 still acknowledges it.
    await bike.publishAsync(other.bus!.topic, JSON.stringify(readingJson(other.bikeId, 1)), { qos: 1 });
    await bike.publishAsync(own.bus!.topic, JSON.stringify(readingJson(own.bikeId, 1)), { qos: 1 });
    await eventually(async () => expect(await stored(own.bikeId)).toEqual([1]), { what: "the bike's own reading to be stored" });
    expect(await stored(other.bikeId)).toEqual([]);
  });

  it('refuses a wrong, edited, foreign-signed or expired credential at CONNECT', async () => {
    const { bikeId, bus } = await telematics.provision();
    const [header, body, signature] = bus!.password.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    claims.nats.pub.allow = ['>']; // a bike granting itself every subject: the signature no longer matches
    const edited = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    const foreignSigner = { account: issuer.account, signingKey: new TextDecoder().decode(createAccount().getSeed()) };
    const foreign = (await deviceUserJwt(foreignSigner, bikeId, new Date(Date.now() + 3_600_000))).jwt;
    const realSigner = { account: issuer.account, signingKey: issuer.accountSigningKey };
    const expired = (await deviceUserJwt(realSigner, bikeId, new Date(Date.now() - 1000))).jwt;

    expect(await refusal(bikeId, 'ewd_not-a-jwt')).toBe(NOT_AUTHORIZED);
    expect(await refusal(bikeId, edited)).toBe(NOT_AUTHORIZED);
    expect(await refusal(bikeId, foreign)).toBe(NOT_AUTHORIZED);
    expect(await refusal(bikeId, expired)).toBe(NOT_AUTHORIZED);
    expect(await refusal(bikeId, bus!.password)).toBe('accepted'); // the real one still works
    // Counted and logged by the registry, which hears the servers' refusals on the system account.
    await eventually(async () => {
      expect(await telematics.metric('telematics_devices_refused_total', { door: 'nats', reason: 'expired' })).toBe(1);
      expect(await telematics.metric('telematics_devices_refused_total', { door: 'nats', reason: 'bad_credentials' })).toBe(3);
    }, { what: 'the refusals to be counted' });
  });

  it('refuses a bike\'s credential on the plain NATS port', async () => {
    const { bus } = await telematics.provision();
    const plain = connect({ servers: nats.url, token: bus!.password, reconnect: false });
    await expect(plain).rejects.toThrow(/Authorization Violation/);
  });

  it('cuts a revoked bike off within seconds, with no reload, and keeps it out after a server restart', async () => {
    const { bikeId, bus, deviceKey } = await telematics.provision();
    const bike = await connectBike(bikeId, bus!.password);
    const closed = new Promise<number>((resolve) => bike.once('close', () => resolve(Date.now())));
    const started = Date.now();
    const revoked = await telematics.client.revokeDevice({ bikeId });
    expect(revoked.busUserPublicKey).toBe(bus!.userPublicKey);
    expect((await closed) - started).toBeLessThan(3000);
    expect(await refusal(bikeId, bus!.password)).toBe(NOT_AUTHORIZED);
    // The service's own doors refuse it too.
    const https = await telematics.post(JSON.stringify(readingJson(bikeId, 1)), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    expect(https.status).toBe(401);
    await nats.restart();
    expect(await refusal(bikeId, bus!.password)).toBe(NOT_AUTHORIZED);
    await eventually(async () => {
      expect(await telematics.metric('telematics_devices_revoked_total')).toBe(1);
      expect(await telematics.metric('telematics_devices_refused_total', { door: 'nats', reason: 'revoked' })).toBeGreaterThanOrEqual(1);
    }, { what: 'the revocation to be counted' });
  }, 60_000);

  it('revokes the old bus user when a bike\'s credential is rotated', async () => {
    const first = await telematics.provision();
    const second = await telematics.provision(first.bikeId, true);
    expect(second.bus!.userPublicKey).not.toBe(first.bus!.userPublicKey);
    expect(await refusal(first.bikeId, first.bus!.password)).toBe(NOT_AUTHORIZED);
    expect(await refusal(first.bikeId, second.bus!.password)).toBe('accepted');
    expect(await telematics.metric('telematics_devices_provisioned_total', { rotate: 'true' })).toBe(1);
  });

  it('lets the processor consume the stream but not publish as a bike, and the edge publish but not consume', async () => {
    const { bikeId } = await telematics.provision();
    const processor = await nats.connectAs('telematics-processor');
    const edge = await nats.connectAs('telematics-edge');
    opened.push(processor, edge);
    await expect(jetstream(processor).publish(bikeSubject(bikeId), JSON.stringify(readingJson(bikeId, 1)))).rejects.toThrow(/Permissions Violation for Publish/);
    await expect(jetstream(processor).consumers.get(STREAM, DURABLE)).resolves.toBeDefined();
    await expect(jetstream(edge).consumers.get(STREAM, DURABLE)).rejects.toThrow(/Permissions Violation/);
    await expect(jetstream(edge).publish(bikeSubject(bikeId), JSON.stringify(readingJson(bikeId, 2)))).resolves.toMatchObject({ stream: STREAM });
    await eventually(async () => expect(await stored(bikeId)).toEqual([2]), { what: "the edge's reading to be stored" });
  });

});
