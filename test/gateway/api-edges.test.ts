// The edges of the API, through real gateways in front of the real services: fleetImpact's dates
// and its cost by buckets, a Redis outage (a redis-server of the test's own, stopped and started
// again), the GBFS feed's address, snapshot and paging, a mesh refusal between services, and no
// schema suggestions in production.
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { request } from 'undici';
import { dependencyEnv } from '../../services/local-stack/src/local-stack';
import { ServiceProcess } from '../../services/local-stack/src/launched-service';
import { eventually } from '../support/eventually';
import { CENTRE, newBike, newRider, topUp } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { OwnRedisServer } from '../support/redis';
import { PRODUCTION_GATEWAY_ENV, TEST_ENV, useSharedStack } from '../support/stack';

const MONTH_BY_HOUR = 'fleetImpact(from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z", groupBy: HOUR) { start rides bikes distanceMeters energyWh co2AvoidedGrams }';

describeWithPostgres('edges of the API', () => {
  const running = useSharedStack();
  let url: string;
  let opsKey: string;
  const newKey = async (scopes: string[] = []) => (await running.clients.user.createApiClient({ name: 'Edges test app', scopes })).apiKey;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    opsKey = await newKey(['ops']);
  });

  describe('fleetImpact', () => {
    it.each([
      ['yesterday', '2026-11-02T00:00:00Z', 'DAY', 'from: must be an ISO 8601 time such as 2026-11-26T00:00:00Z'],
      ['2026-11-01T00:00:00Z', 'tomorrow', 'HOUR', 'to: must be an ISO 8601 time such as 2026-11-26T00:00:00Z'],
      ['2026-02-30T00:00:00Z', '2026-03-02T00:00:00Z', 'DAY', 'from: must be an ISO 8601 time such as 2026-11-26T00:00:00Z'],
      ['0000-01-01T00:00:00Z', '0000-01-02T00:00:00Z', 'DAY', 'from: must be in the years 2000 to 2099; to: must be in the years 2000 to 2099'],
      ['2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 'DAY', 'to: to must be after from'],
      ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', 'HOUR', 'to: the range may span at most 366 days, or 31 days by hour'],
    ])('refuses from %j to %j by %s with BAD_USER_INPUT', async (from, to, groupBy, message) => {
      const result = await graphql(url, `query ($f: String!, $t: String!) { fleetImpact(from: $f, to: $t, groupBy: ${groupBy}) { start } }`, { apiKey: opsKey, variables: { f: from, t: to } });
      expect([result.status, result.errors?.map((error) => [error.extensions?.code, error.message])]).toEqual([200, [['BAD_USER_INPUT', message]]]);
    });

    it('counts each bucket in the query cost: one month by hour fits, two do not, and fifteen never reach telematics', async () => {
      const one = await graphql(url, `{ ${MONTH_BY_HOUR} }`, { apiKey: opsKey });
      expect([one.status, one.errors]).toEqual([200, undefined]);
      const two = await graphql(url, `{ a: ${MONTH_BY_HOUR} b: ${MONTH_BY_HOUR} }`, { apiKey: opsKey });
      // armor's cost of one (2 + 6 × 1.5 = 11) times its 744 hours, twice.
      expect([two.status, two.errors?.map((error) => [error.extensions?.code, error.message])]).toEqual([400, [['QUERY_TOO_COMPLEX', 'Query Cost limit of 10000 exceeded, found 16368.']]]);
      const fifteen = await graphql(url, `{ ${Array.from({ length: 15 }, (_, n) => `m${n}: ${MONTH_BY_HOUR}`).join(' ')} }`, { apiKey: opsKey });
      expect([fifteen.status, errorCodes(fifteen)]).toEqual([400, ['QUERY_TOO_COMPLEX']]);
      // A range in variables counts as the longest allowed.
      const fields = '{ start rides bikes distanceMeters energyWh co2AvoidedGrams }';
      const variables = await graphql(url, `query ($f: String!, $t: String!) { a: fleetImpact(from: $f, to: $t, groupBy: HOUR) ${fields} b: fleetImpact(from: $f, to: $t, groupBy: HOUR) ${fields} }`, {
        apiKey: opsKey,
        variables: { f: '2026-11-01T00:00:00Z', t: '2026-11-01T01:00:00Z' },
      });
      expect(errorCodes(variables)).toEqual(['QUERY_TOO_COMPLEX']);
    });
  });

  it('keeps answering through a Redis outage: usage counting degrades, a request never gets a 500, and the counts catch up', async () => {
    const redis = await OwnRedisServer.start();
    try {
      const gateway = await running.stack.startGateway({ GATEWAY_REDIS_URL: redis.url });
      const key = await newKey();
      let calls = 0;
      const ask = async () => {
        calls += 1;
        return graphql(gateway.graphqlUrl, '{ tariff { holdMinutes } }', { apiKey: key });
      };
      const usage = async () => {
        calls += 1;
        const response = await fetch(gateway.graphqlUrl.replace('/graphql', '/usage'), { headers: { 'x-api-key': key } });
        return { status: response.status, body: (await response.json()) as { requests?: number; errors?: { extensions: { code: string } }[] } };
      };
      expect((await ask()).status).toBe(200);

      await redis.pause();
      for (let n = 0; n < 3; n += 1) {
        const during = await ask();
        expect([during.status, errorCodes(during)]).toEqual([503, ['SERVICE_UNAVAILABLE']]);
      }
      const unreadable = await usage();
      expect([unreadable.status, unreadable.body.errors?.map((error) => error.extensions.code)]).toEqual([503, ['SERVICE_UNAVAILABLE']]);

      await redis.resume();
      await eventually(async () => expect((await ask()).status).toBe(200), { what: 'the gateway to use Redis again' });
      expect(await usage()).toEqual({ status: 200, body: expect.objectContaining({ requests: calls }) });
      expect(gateway.output.join('\n')).toMatch(/usage counting: Redis is unavailable/);
    } finally {
      await redis.stop();
    }
  });

  describe('the GBFS feed', () => {
    it('names its files under the configured address, whatever Host the request says', async () => {
      const gateway = await running.stack.startGateway({ GBFS_BASE_URL: 'https://feeds.ecowheels.example/gbfs/v3/' });
      const feed = async (base: string) => {
        const response = await request(`${base.replace(/\/graphql$/, '')}/gbfs/v3/gbfs.json`, { headers: { host: 'attacker.example' } });
        return ((await response.body.json()) as { data: { feeds: { url: string }[] } }).data.feeds.map((entry) => entry.url);
      };
      expect(await feed(gateway.graphqlUrl)).toContain('https://feeds.ecowheels.example/gbfs/v3/vehicle_status.json');
      // Unset, it is the gateway's own address: still never the request's Host.
      const own = new URL(url).origin;
      expect((await feed(url)).every((entry) => entry.startsWith(`${own}/gbfs/v3/`))).toBe(true);
    });

    it('builds each file once per refresh, so its ETag holds and a reader that has it gets 304', async () => {
      const gateway = await running.stack.startGateway({ GBFS_REFRESH_SECONDS: '30' });
      const file = `${gateway.graphqlUrl.replace(/\/graphql$/, '')}/gbfs/v3/vehicle_status.json`;
      // undici's request, not fetch: fetch adds Cache-Control: no-cache to a conditional request.
      const get = async (headers: Record<string, string> = {}) => {
        const response = await request(file, { headers });
        return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
      };
      const first = await get();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await get();
      expect([second.headers.etag, second.body]).toEqual([first.headers.etag, first.body]);
      expect(first.headers.etag).toMatch(/^W\/"/);
      expect(JSON.parse(first.body)).toMatchObject({ ttl: 30 });
      expect(Number(/max-age=(\d+)/.exec(String(second.headers['cache-control']))![1])).toBeLessThanOrEqual(29);
      const again = await get({ 'if-none-match': String(first.headers.etag) });
      expect([again.status, again.body]).toEqual([304, '']);
    });

    it('reads inventory a page at a time, each rentable bike once, under its listing id', async () => {
      const bikes = await Promise.all(Array.from({ length: 5 }, () => newBike(running.clients)));
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await running.clients.inventory.listFeedVehicles({ pageSize: 2, pageToken });
        expect(page.vehicles.length).toBeLessThanOrEqual(2);
        seen.push(...page.vehicles.map((vehicle) => vehicle.feedId));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(bikes.map((bike) => bike.listingId)));
      expect(seen).not.toEqual(expect.arrayContaining([bikes[0].id]));
      await expect(running.clients.inventory.listFeedVehicles({ pageSize: 1001, pageToken: '' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    });
  });

  it('answers a service the mesh policy refused as an internal error, without the policy\'s text', async () => {
    // A ride service that presents telematics' certificate: inventory and user refuse its calls.
    const certs = mkdtempSync(join(tmpdir(), 'ecowheels-test-certs-'));
    cpSync(TEST_ENV.MESH_CERTS_DIR, certs, { recursive: true });
    cpSync(join(TEST_ENV.MESH_CERTS_DIR, 'telematics.pem'), join(certs, 'ride.pem'));
    cpSync(join(TEST_ENV.MESH_CERTS_DIR, 'telematics-key.pem'), join(certs, 'ride-key.pem'));
    // A database of its own: its recovery loop must not reach for the shared stack's rides.
    const rideDb = await createTestDatabase('ride');
    const ride = await ServiceProcess.start('ride', {
      ...TEST_ENV,
      ...dependencyEnv('ride', running.stack.services),
      RIDE_DATABASE_URL: rideDb.url,
      MESH_CERTS_DIR: certs,
    });
    try {
      const gateway = await running.stack.startGateway({ RIDE_SUBGRAPH_URL: ride.graphqlUrl });
      const rider = await newRider(running.clients);
      await topUp(running.clients, rider.riderId, 2000);
      const token = (await running.clients.user.loginRider({ email: rider.email, password: rider.password })).accessToken;
      const bike = await newBike(running.clients);
      const started = await graphql(gateway.graphqlUrl, 'mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code message } } }', {
        apiKey: await newKey(),
        token,
        variables: { b: bike.listingId, k: randomUUID() },
      });
      expect(started.errors!.map((error) => [error.extensions?.code, error.message])).toEqual([['INTERNAL_SERVER_ERROR', 'internal error; the service logged the details']]);
      expect(JSON.stringify(started)).not.toMatch(/mesh|policy|telematics|may not call|IdentifyBike|VerifyRider|FORBIDDEN/i);
      // The ride service logged what happened, for whoever is on call: the refusal of whichever of
      // its first two calls (made side by side) was answered first.
      expect(ride.output.join('\n')).toMatch(/the (inventory service refused identifyBike|user service refused verifyRider) to this workload \(mesh policy\)/);
    } finally {
      await ride.stop();
      await rideDb.drop();
      rmSync(certs, { recursive: true, force: true });
    }
  });

  it('in production suggests no field, argument or enum names', async () => {
    const gateway = await running.stack.startGateway(PRODUCTION_GATEWAY_ENV);
    // In production an app's key runs only its trusted documents: free-form ones come with this scope.
    const apiKey = await newKey(['developer']);
    const field = await graphql(gateway.graphqlUrl, '{ bikesNar(lat: 52, lon: 4, radiusMeters: 100) { edges { cursor } } }', { apiKey });
    expect(field.errors!.map((error) => [error.extensions?.code, error.message])).toEqual([['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "bikesNar" on type "Query".']]);
    const argument = await graphql(gateway.graphqlUrl, `{ bikesNear(lat: ${CENTRE.latitude}, lon: ${CENTRE.longitude}, radius: 100) { edges { cursor } } }`, { apiKey });
    expect(JSON.stringify(argument.errors)).not.toMatch(/Did you mean/);
    const enumValue = await graphql(gateway.graphqlUrl, 'query ($g: ImpactGrouping) { fleetImpact(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: $g) { start } }', {
      apiKey,
      variables: { g: 'HOURS' },
    });
    expect(errorCodes(enumValue)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(enumValue.errors)).not.toMatch(/Did you mean|"HOUR"/);
    // Outside production, developers keep the suggestions.
    const development = await graphql(url, '{ bikesNar(lat: 52, lon: 4, radiusMeters: 100) { edges { cursor } } }', { apiKey });
    expect(development.errors![0].message).toBe('Cannot query field "bikesNar" on type "Query". Did you mean "bikesNear" or "bike"?');
  });
});
