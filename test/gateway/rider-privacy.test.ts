// Riders cannot be followed (docs/rider-privacy.md), through the real gateway in front of the real
// services: with an app's API key, a bike is listed under an id that is replaced after every trip,
// so nothing links where a trip started to where it ended; the code printed on the bike starts a
// ride but shows no place; operations see the fleet under the bikes' own ids.
import { randomUUID } from 'node:crypto';
import { CENTRE, newRider, topUp } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { useSharedStack } from '../support/stack';

// A place of its own (Utrecht's Dom square), where no other test parks a bike, and the trip's end.
const START = { latitude: 52.0908, longitude: 5.1222 };
const END = { latitude: 52.0990, longitude: 5.1100 };

describeWithPostgres('riders cannot be followed', () => {
  const running = useSharedStack();
  let url: string;
  let appKey: string;
  let opsKey: string;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    appKey = (await running.clients.user.createApiClient({ name: 'Privacy test app', scopes: [] })).apiKey;
    opsKey = (await running.clients.user.createApiClient({ name: 'Privacy test ops', scopes: ['ops'] })).apiKey;
  });

  const riderWithToken = async () => {
    const rider = await newRider(running.clients);
    await topUp(running.clients, rider.riderId, 2000);
    const token = (await running.clients.user.loginRider({ email: rider.email, password: rider.password })).accessToken;
    return { ...rider, token };
  };
  const bikeAt = async (place: { latitude: number; longitude: number }) =>
    (await running.clients.inventory.registerBike({ model: 'EcoWheels City 3', location: place, batteryPercent: 90, stationId: '' })).bike!;
  const near = async (place: { latitude: number; longitude: number }, key = appKey) => {
    const result = await graphql(url, 'query ($lat: Float!, $lon: Float!) { bikesNear(lat: $lat, lon: $lon, radiusMeters: 300) { edges { cursor node { id status location { latitude } lastSeenAt } } } }', {
      apiKey: key,
      variables: { lat: place.latitude, lon: place.longitude },
    });
    expect(result.errors).toBeUndefined();
    return result.data!.bikesNear.edges as { cursor: string; node: { id: string; status: string; location: { latitude: number } | null; lastSeenAt: string | null } }[];
  };
  const bike = async (id: string, options: { key?: string; token?: string } = {}) =>
    (await graphql(url, 'query ($id: ID!) { bike(id: $id) { id status location { latitude } } }', { apiKey: options.key ?? appKey, token: options.token, variables: { id } })).data!.bike;
  const startRide = async (token: string, bikeId: string, idempotencyKey = randomUUID()) =>
    (await graphql(url, 'mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id status bike { id location { latitude } } } errors { code message } } }', {
      apiKey: appKey,
      token,
      variables: { b: bikeId, k: idempotencyKey },
    })).data!.startRide;
  const endRide = async (token: string, rideId: string, place: { latitude: number; longitude: number }) =>
    (await graphql(url, 'mutation ($r: ID!, $lat: Float!, $lon: Float!) { endRide(rideId: $r, latitude: $lat, longitude: $lon) { ride { status bike { id } } errors { code } } }', {
      apiKey: appKey,
      token,
      variables: { r: rideId, lat: place.latitude, lon: place.longitude },
    })).data!.endRide;

  it('lists a bike under a new id once a trip ends, so a trip\'s start and end cannot be linked with an app key', async () => {
    const parked = await bikeAt(START);
    const [listed] = await near(START);
    expect(listed.node).toMatchObject({ id: parked.listingId, status: 'AVAILABLE', location: { latitude: START.latitude } });
    // Neither the id nor the cursor is the bike's own id.
    expect(listed.node.id).not.toBe(parked.id);
    expect(Buffer.from(listed.cursor, 'base64url').toString()).not.toContain(parked.id);

    const rider = await riderWithToken();
    const started = await startRide(rider.token, listed.node.id);
    expect(started).toMatchObject({ ride: { status: 'ACTIVE', bike: { id: parked.listingId, location: { latitude: START.latitude } } }, errors: [] });
    // A watcher who noted the listing id sees the ride start, but not where the bike goes.
    expect(await bike(listed.node.id)).toEqual({ id: parked.listingId, status: 'IN_RIDE', location: null });
    expect(await near(START)).toEqual([]);

    expect(await endRide(rider.token, started.ride.id, END)).toEqual({ ride: { status: 'COMPLETED', bike: null }, errors: [] });
    // At the destination the bike is listed again, under an id never seen before...
    const [back] = await near(END);
    expect(back.node).toMatchObject({ status: 'AVAILABLE', location: { latitude: END.latitude } });
    expect(back.node.id).not.toBe(parked.listingId);
    expect(back.node.id).not.toBe(parked.id);
    // ...the old one names nothing any more, and the code printed on the bike shows nothing to an app.
    expect(await bike(parked.listingId)).toBeNull();
    expect(await bike(parked.id)).toBeNull();
    expect(await bike(parked.id, { token: rider.token })).toBeNull();
    // The rider's own ride keeps its ends, but no longer points at the bike.
    const ride = await graphql(url, 'query ($r: ID!) { ride(id: $r) { status bike { id } endLocation { latitude } } }', { apiKey: appKey, token: rider.token, variables: { r: started.ride.id } });
    expect(ride.data!.ride).toEqual({ status: 'COMPLETED', bike: null, endLocation: { latitude: END.latitude } });
    // Not even through another subgraph's part of Bike: when it last reported would follow it too.
    const lastSeen = await graphql(url, 'query ($r: ID!) { ride(id: $r) { bike { lastSeenAt } } }', { apiKey: appKey, token: rider.token, variables: { r: started.ride.id } });
    expect(lastSeen.data!.ride).toEqual({ bike: null });
  });

  it('starts a ride from the code printed on the bike, and a retried start of the same tap answers the same ride', async () => {
    const parked = await bikeAt({ latitude: START.latitude + 0.01, longitude: START.longitude });
    const rider = await riderWithToken();
    const key = randomUUID();
    const started = await startRide(rider.token, parked.id, key);
    // The rider sees the bike under its listing id, and where it is, while the ride holds it.
    expect(started).toMatchObject({ ride: { status: 'ACTIVE', bike: { id: parked.listingId, location: { latitude: START.latitude + 0.01 } } }, errors: [] });
    expect(await startRide(rider.token, parked.id, key)).toMatchObject({ ride: { id: started.ride.id }, errors: [] });
    await endRide(rider.token, started.ride.id, END);
    expect(await startRide(rider.token, parked.id, key)).toMatchObject({ ride: { id: started.ride.id, status: 'COMPLETED' }, errors: [] });
  });

  it('answers a retried start by listing id with the same ride, even after the listing id was replaced', async () => {
    const parked = await bikeAt({ latitude: START.latitude - 0.01, longitude: START.longitude });
    const rider = await riderWithToken();
    const key = randomUUID();
    const started = await startRide(rider.token, parked.listingId, key);
    await endRide(rider.token, started.ride.id, END);
    expect(await startRide(rider.token, parked.listingId, key)).toMatchObject({ ride: { id: started.ride.id, status: 'COMPLETED' }, errors: [] });
    // A listing id from before the trip starts nothing new.
    const other = await riderWithToken();
    expect(await startRide(other.token, parked.listingId)).toEqual({
      ride: null,
      errors: [{ code: 'NOT_FOUND', message: `no bike has the code ${parked.listingId}; scan the code on the bike, or find it again with bikesNear` }],
    });
  });

  it('shows operations the fleet under the bikes\' own ids, by either id', async () => {
    const parked = await bikeAt({ latitude: START.latitude, longitude: START.longitude + 0.01 });
    expect(await bike(parked.id, { key: opsKey })).toEqual({ id: parked.id, status: 'AVAILABLE', location: { latitude: START.latitude } });
    expect(await bike(parked.listingId, { key: opsKey })).toEqual({ id: parked.id, status: 'AVAILABLE', location: { latitude: START.latitude } });
    expect((await near({ latitude: START.latitude, longitude: START.longitude + 0.01 }, opsKey)).map((edge) => edge.node.id)).toContain(parked.id);
  });

  it('still answers what the telematics subgraph adds to a listed bike', async () => {
    await bikeAt({ latitude: CENTRE.latitude + 0.3, longitude: CENTRE.longitude });
    const [listed] = await near({ latitude: CENTRE.latitude + 0.3, longitude: CENTRE.longitude });
    expect(listed.node.lastSeenAt).toBeNull(); // resolved by telematics under the bike's own id: never reported
  });
});
