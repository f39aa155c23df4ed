// A rider's whole journey through the reference rider app client (supergraph/clients/rider-app/, Apollo
// Client) against the real gateway and services: sign up, confirm the address with the code the
// sandbox mailer wrote, pass the identity check, log in, top up, find a bike, ride it while the
// bike reports the trip over MQTT, end the ride, and read the receipt, the rides and the impact.
// The gateway enforces trusted documents as production does (GATEWAY_TRUSTED_DOCUMENTS=enforce,
// the committed supergraph/app-manifests, where this client's version is live). On the wire, every
// operation goes out by its manifest id alone, never as text, with the app's name and version: the
// gateway knows every id, so it never asks for a body. The same app key's free-form document is
// refused; an ops key's runs.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { MANIFEST_FILE } from '../../supergraph/clients/rider-app/paths';
import { RiderAppClient } from '../../supergraph/clients/rider-app/src/rider-app-client';
import { RIDER_APP } from '../../supergraph/clients/rider-app/src/version';
import { rideTrip, seededRandom } from '../../services/local-stack/src/fleet/simulated-ride';
import { sha256Hex, type PersistedQueryManifest } from '../../supergraph/src/app-manifests';
import { eventually } from '../support/eventually';
import { graphql } from '../support/graphql-client';
import { codeIn, sandboxMail } from '../support/mail';
import { describeWithPostgres } from '../support/postgres';
import { useSharedStack } from '../support/stack';
import { readingsTopic } from '../support/telematics';

const PASSWORD = 'copper kettle under nine lanterns';
/** Oslo's central station: a place no other test puts bikes. */
const STATION = { latitude: 59.9111, longitude: 10.7528 };

interface SentRequest {
  headers: Headers;
  body: { operationName?: string; query?: string; extensions?: { persistedQuery?: { version: number; sha256Hash: string } } };
}

describeWithPostgres('the rider app client, through a rider’s whole journey', () => {
  // The run's shared services, behind a gateway of this file's own that enforces trusted documents.
  const running = useSharedStack();
  let url: string;
  const manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as PersistedQueryManifest;
  const sent: SentRequest[] = [];
  let app: RiderAppClient;
  let apiKey: string;

  beforeAll(async () => {
    url = (await running.stack.startGateway({ GATEWAY_TRUSTED_DOCUMENTS: 'enforce' })).graphqlUrl;
    ({ apiKey } = await running.clients.user.createApiClient({ name: 'Rider app', scopes: [] }));
    // The platform's fetch, watched: what the app puts on the wire is what this test checks.
    const watched: typeof fetch = async (input, init) => {
      sent.push({ headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) as SentRequest['body'] });
      return fetch(input, init);
    };
    app = new RiderAppClient({ url, apiKey, fetch: watched });
  });

  it('signs up, confirms, is verified, tops up, rides a bike and sees the ride and its impact', async () => {
    const email = `journey-${randomUUID()}@example.com`;
    const signedUp = await app.signUp(email, PASSWORD, 'Jo Journey');
    expect(signedUp).toMatchObject({ token: expect.any(String), user: { email, emailConfirmed: false, verified: false }, errors: [] });

    // The sandbox mailer's file holds the code the app would open from the mail's link.
    const [confirmation] = await sandboxMail(running.stack.dataDir, email);
    expect((await app.confirmEmail(codeIn(confirmation))).user).toMatchObject({ emailConfirmed: true });
    expect(await app.checkIdentity('sandbox-passport-approved')).toMatchObject({ status: 'APPROVED', user: { verified: true }, errors: [] });
    app.signOut();
    expect((await app.logIn(email, PASSWORD)).user).toMatchObject({ email, emailConfirmed: true, verified: true });

    const topUp = await app.topUpWallet(2000, { cardNumber: '4242 4242 4242 4242' }, randomUUID());
    expect(topUp).toMatchObject({ wallet: { available: { amountMinor: 2000, formatted: '20.00 EUR' } }, errors: [] });

    const { bike: registered } = await running.clients.inventory.registerBike({ model: 'EcoWheels City 3', location: STATION, batteryPercent: 90, stationId: '' });
    const home = await app.homeScreen(STATION);
    expect(home.me).toMatchObject({ email, verified: true });
    expect(home.wallet.available.formatted).toBe('20.00 EUR');
    expect(home.bikesNear.edges.map((edge) => edge.node.id)).toContain(registered!.listingId);

    const found = await app.findBikes(STATION, { radiusMeters: 200, first: 5 });
    expect(found.edges.map((edge) => edge.node.id)).toEqual([registered!.listingId]);
    expect(await app.bike(found.edges[0].node.id)).toMatchObject({ model: 'EcoWheels City 3', status: 'AVAILABLE', batteryPercent: 90 });

    const started = await app.startRide(found.edges[0].node.id, randomUUID());
    expect(started).toMatchObject({ ride: { status: 'ACTIVE', charge: { status: 'HELD' } }, errors: [] });
    const rideId = started.ride!.id;

    // The bike reports the trip itself, over MQTT with its own credentials, as a real unit does.
    const { secret } = await running.clients.telematics.provisionDevice({ bikeId: registered!.id, rotate: false });
    const unit = { bikeId: registered!.id, position: STATION, batteryPercent: 90, odometerMeters: 0, nextSequence: 1, clock: Date.now() - 5 * 60_000 };
    const trip = rideTrip(unit, { meters: 600, intervalMs: 2000, random: seededRandom(11), rideId });
    const device = await mqtt.connectAsync(running.stack.service('telematics').ready.mqttUrl as string, { protocolVersion: 4, username: registered!.id, password: secret });
    try {
      for (const reading of trip.readings) await device.publishAsync(readingsTopic(registered!.id), JSON.stringify(reading), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const last = trip.readings[trip.readings.length - 1];
    const ended = await app.endRide(rideId, { latitude: last.latitude, longitude: last.longitude });
    expect(ended).toMatchObject({ ride: { id: rideId, status: 'COMPLETED', fare: { formatted: expect.stringMatching(/EUR$/) }, charge: { status: 'CAPTURED' } }, errors: [] });

    const impact = await eventually(async () => {
      const mine = await app.myImpact();
      expect(mine?.rides).toBe(1);
      return mine!;
    }, { what: 'the rider’s impact' });
    expect(Math.abs(impact.distanceMeters - trip.truthMeters) / trip.truthMeters).toBeLessThan(0.05);
    expect(impact.co2AvoidedGrams).toBeGreaterThan(0);

    const receipt = await app.ride(rideId);
    expect(receipt).toMatchObject({ status: 'COMPLETED', charge: { status: 'CAPTURED' }, distanceMeters: impact.distanceMeters });
    const rides = await app.myRides({ first: 5 });
    expect(rides.edges.map((edge) => [edge.node.id, edge.node.status])).toEqual([[rideId, 'COMPLETED']]);
    const wallet = await app.wallet();
    expect(wallet.available.amountMinor).toBe(2000 - Math.round(Number(/[\d.]+/.exec(ended.ride!.fare!.formatted)![0]) * 100));
  }, 180_000);

  it('sent every operation by its manifest id alone, never as text, with the app’s name and version', () => {
    const idOf = new Map(manifest.operations.map((operation) => [operation.name, operation.id]));
    const bodyOf = new Map(manifest.operations.map((operation) => [operation.id, operation.body]));
    const names = new Set(sent.map((request) => request.body.operationName));
    expect([...names].sort()).toEqual(manifest.operations.map((operation) => operation.name).sort());
    for (const { headers, body } of sent) {
      expect(headers.get('apollographql-client-name')).toBe(RIDER_APP.name);
      expect(headers.get('apollographql-client-version')).toBe(RIDER_APP.version);
      expect(body.extensions?.persistedQuery).toEqual({ version: 1, sha256Hash: idOf.get(body.operationName!) });
      // A body goes out only as the answer to PERSISTED_QUERY_NOT_FOUND, and is the manifest's.
      if (body.query !== undefined) {
        expect(body.query).toBe(bodyOf.get(body.extensions!.persistedQuery!.sha256Hash));
        expect(sha256Hex(body.query)).toBe(body.extensions!.persistedQuery!.sha256Hash);
      }
    }
    // The gateway knew every id: it never asked for a body.
    expect(sent.filter((request) => request.body.query !== undefined).map((request) => request.body.operationName)).toEqual([]);
  });

  it('refuses a free-form document with the app’s key, and runs it with an ops key', async () => {
    const query = 'query Nearby { bikesNear(lat: 59.9111, lon: 10.7528, radiusMeters: 500) { edges { node { id } } } }';
    const refused = await graphql(url, query, { apiKey });
    expect(refused.status).toBe(400);
    expect(refused.errors!.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(refused.extensions?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(refused.headers.get('x-trace-id')).toBe(refused.extensions?.traceId);
    const { apiKey: opsKey } = await running.clients.user.createApiClient({ name: 'Operations dashboard', scopes: ['ops'] });
    const ran = await graphql(url, query, { apiKey: opsKey });
    expect({ status: ran.status, errors: ran.errors }).toEqual({ status: 200, errors: undefined });
    expect(ran.data!.bikesNear.edges).toEqual(expect.any(Array));
  });
});
