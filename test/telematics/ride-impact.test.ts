// End to end, through the whole system: a rider rides a bike whose IoT unit publishes the trip
// over MQTT (with the junk real units send: duplicates, reordering, a lost reading, a GPS jump, an
// impossible value). The ride's distance in GraphQL is within 2% of the trip's ground truth, its
// CO2 is the documented formula, the rider sees their own impact, operations see the fleet's, the
// bike's position reaches inventory (bikesNear), and EndRide records where the bike reported it was.
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { co2AvoidedGrams } from '../../services/telematics/src/domain/ride-impact';
import { rideTrip, seededRandom, type SimulatedReading } from '../../services/local-stack/src/fleet/simulated-ride';
import { eventually } from '../support/eventually';
import { CENTRE, newBike, riderWithFunds } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';
import { readingsTopic } from '../support/telematics';

const FACTORS = { carGramsPerKm: 170, ebikeLifecycleGramsPerKm: 7, gridGramsPerKwh: 250 };

describeWithPostgres('ride impact from the bike’s own readings', () => {
  const running = useTestStack();
  let url: string;
  let apiKey: string;
  let opsKey: string;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Impact test app', scopes: [] })).apiKey;
    opsKey = (await running.clients.user.createApiClient({ name: 'Operations dashboard', scopes: ['ops'] })).apiKey;
  });

  it('measures a simulated ride of known ground truth within 2%, with CO2 from the documented formula', async () => {
    const { clients } = running;
    const rider = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const { secret } = await clients.telematics.provisionDevice({ bikeId: bike.id, rotate: false });
    const { ride } = await clients.ride.startRide({ riderId: rider.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    const rideId = ride!.id;

    // The trip: about 2 km on the street grid, one reading a second, recorded over the last minutes.
    const unit = { bikeId: bike.id, position: CENTRE, batteryPercent: 80, odometerMeters: 0, nextSequence: 1, clock: Date.now() - 10 * 60_000 };
    const trip = rideTrip(unit, { meters: 2000, intervalMs: 1000, random: seededRandom(7), rideId });
    const sent: SimulatedReading[] = [...trip.readings];
    sent.splice(50, 1); // a reading lost on the way: the gap is filled
    [sent[80], sent[81]] = [sent[81], sent[80]]; // two that arrive out of order
    const jumped = { ...sent[120], latitude: sent[120].latitude + 0.05 }; // a GPS jump, 5 km away
    const payloads = sent.map((reading) => JSON.stringify(reading === sent[120] ? jumped : reading));
    payloads.splice(30, 0, payloads[29], payloads[29]); // redelivered twice
    payloads.splice(60, 0, JSON.stringify({ ...sent[60], batteryPercent: 180 })); // impossible, refused (same sequence)

    const device = await mqtt.connectAsync(running.stack.service('telematics').ready.mqttUrl as string, { protocolVersion: 4, username: bike.id, password: secret });
    try {
      for (const payload of payloads) await device.publishAsync(readingsTopic(bike.id), payload, { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const last = trip.readings[trip.readings.length - 1];
    // The bike's own position reaches inventory (throttled), before the rider ends the ride.
    await eventually(async () => {
      const { bike: seen } = await clients.inventory.getBike({ bikeId: bike.id });
      expect(seen!.location!.latitude).toBeCloseTo(last.latitude, 5);
      expect(seen!.location!.longitude).toBeCloseTo(last.longitude, 5);
    }, { what: 'inventory learning the bike’s position' });
    const { data: login } = await graphql(url, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', {
      apiKey,
      variables: { e: rider.email, p: rider.password },
    });
    const token = login!.login.token as string;
    // While the ride holds the bike, its rider sees when the bike last reported (telematics' part of Bike).
    await eventually(async () => {
      const riding = await graphql(url, 'query ($id: ID!) { ride(id: $id) { status bike { lastSeenAt } } }', { apiKey, token, variables: { id: rideId } });
      expect(riding.data!.ride.status).toBe('ACTIVE');
      expect(new Date(riding.data!.ride.bike.lastSeenAt).getTime()).toBe(new Date(last.recordTime).getTime());
    }, { what: 'the bike’s last report, seen by its rider' });

    // Ended without a place from the app: the ride records where the bike reported it was.
    const { ride: ended } = await clients.ride.endRide({ rideId, riderId: rider.riderId });
    expect(ended!.endLocation!.latitude).toBeCloseTo(last.latitude, 5);
    expect(ended!.endLocation!.longitude).toBeCloseTo(last.longitude, 5);

    const query = `query ($id: ID!) {
      ride(id: $id) { distanceMeters movingSeconds energyWh co2AvoidedGrams track(first: 1000) { filled } bike { lastSeenAt } }
      me { impact { rides distanceMeters energyWh co2AvoidedGrams } }
    }`;
    const result = await eventually(async () => {
      const answer = await graphql(url, query, { apiKey, token, variables: { id: rideId } });
      expect(answer.data?.me?.impact?.rides).toBe(1); // the rider lookup has happened
      return answer;
    }, { what: 'the ride’s impact' });
    expect(result.errors).toBeUndefined();
    const { distanceMeters, energyWh, co2AvoidedGrams: co2, track, movingSeconds } = result.data!.ride;
    expect(Math.abs(distanceMeters - trip.truthMeters) / trip.truthMeters).toBeLessThan(0.02);
    expect(energyWh).toBeCloseTo((trip.truthBatteryDrop / 100) * 500, 0);
    expect(co2).toBeCloseTo(co2AvoidedGrams(distanceMeters, energyWh, FACTORS), 6);
    expect(movingSeconds).toBeGreaterThan(trip.readings.length - 10);
    expect(track.filter((point: { filled: boolean }) => point.filled)).toHaveLength(1);
    expect(track).toHaveLength(trip.readings.length - 1); // less the GPS jump
    // Once over, the ride no longer points at the bike, telematics' part of it included: when the bike
    // reports next would follow it into later riders' trips (docs/rider-privacy.md).
    expect(result.data!.ride.bike).toBeNull();
    expect(result.data!.me.impact).toEqual({ rides: 1, distanceMeters, energyWh, co2AvoidedGrams: co2 });

    // Where bikesNear finds the bike now: where it was left.
    const near = await graphql(url, `{ bikesNear(lat: ${last.latitude}, lon: ${last.longitude}, radiusMeters: 50, first: 10) { edges { node { id } } } }`, { apiKey });
    // (under its listing id, new since the trip ended: docs/rider-privacy.md)
    const { bike: relisted } = await clients.inventory.getBike({ bikeId: bike.id });
    expect(near.data!.bikesNear.edges.map((edge: { node: { id: string } }) => edge.node.id)).toContain(relisted!.listingId);

    // Operations see the fleet's figures from the warehouse; a rider app's key may not.
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const fleetQuery = `{ fleetImpact(from: "${from}", to: "${to}", groupBy: HOUR) { start rides bikes distanceMeters co2AvoidedGrams } }`;
    const fleet = await graphql(url, fleetQuery, { apiKey: opsKey });
    expect(fleet.errors).toBeUndefined();
    const total = fleet.data!.fleetImpact.reduce((sum: number, bucket: { distanceMeters: number }) => sum + bucket.distanceMeters, 0);
    expect(total).toBeCloseTo(distanceMeters, 3);
    expect(errorCodes(await graphql(url, fleetQuery, { apiKey }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await graphql(url, `{ fleetImpact(from: "${to}", to: "${from}") { rides } }`, { apiKey: opsKey }))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers null figures for a ride the bike never reported on', async () => {
    const { clients } = running;
    const rider = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const { ride } = await clients.ride.startRide({ riderId: rider.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    await clients.ride.endRide({ rideId: ride!.id, riderId: rider.riderId, endLocation: CENTRE });
    const { data: login } = await graphql(url, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { apiKey, variables: { e: rider.email, p: rider.password } });
    const answer = await graphql(url, 'query ($id: ID!) { ride(id: $id) { distanceMeters co2AvoidedGrams track { latitude } } me { impact { rides } } }', {
      apiKey,
      token: login!.login.token,
      variables: { id: ride!.id },
    });
    expect(answer.data).toEqual({ ride: { distanceMeters: null, co2AvoidedGrams: null, track: [] }, me: { impact: { rides: 0 } } });
  });
});
