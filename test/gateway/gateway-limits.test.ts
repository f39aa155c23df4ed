// The gateway's limits and modes, each on a gateway process of its own in front of the run's shared
// services: the rate limit per key (in-process, and shared through Redis), depth and cost limits,
// automatic persisted queries, production mode, and starting while a subgraph is down.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, graphql } from '../support/graphql-client';
import { newRider } from '../support/fixtures';
import { unusedAddress } from '../support/unused-address';
import { describeWithPostgres } from '../support/postgres';
import { describeWithRedis, REDIS_URL } from '../support/redis';
import { PRODUCTION_GATEWAY_ENV, useSharedStack } from '../support/stack';

const CHEAP = '{ tariff { holdMinutes } }';

describeWithPostgres('gateway limits and modes', () => {
  const running = useSharedStack();
  // The data folder of this file's gateways (the shared stack's belongs to its services).
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-gateway-data-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const newKey = async (scopes: string[] = []) => (await running.clients.user.createApiClient({ name: 'Limits test app', scopes })).apiKey;
  // In production an app's key runs only its trusted documents: free-form ones come with this scope.
  const developerKey = () => newKey(['developer']);

  it('allows exactly the limit per key, then answers 429 RATE_LIMITED with Retry-After; other keys go on', async () => {
    const gateway = await running.stack.startGateway({ GATEWAY_RATE_LIMIT: '5', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60' });
    const [key, otherKey] = [await newKey(), await newKey()];
    const statuses = [];
    for (let n = 0; n < 5; n += 1) statuses.push((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const sixth = await graphql(gateway.graphqlUrl, CHEAP, { apiKey: key });
    expect([sixth.status, errorCodes(sixth)]).toEqual([429, ['RATE_LIMITED']]);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: otherKey })).status).toBe(200);
  });

  describeWithRedis('with Redis', () => {
    it('shares one allowance per key between gateway replicas', async () => {
      const settings = { GATEWAY_RATE_LIMIT: '5', GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60', GATEWAY_REDIS_URL: REDIS_URL };
      const [first, second] = await Promise.all([running.stack.startGateway(settings), running.stack.startGateway(settings)]);
      const key = await newKey();
      const statuses = [];
      for (let n = 0; n < 5; n += 1) {
        const replica = n % 2 === 0 ? first : second;
        statuses.push((await graphql(replica.graphqlUrl, CHEAP, { apiKey: key })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const sixth = await graphql(second.graphqlUrl, CHEAP, { apiKey: key });
      expect([sixth.status, errorCodes(sixth)]).toEqual([429, ['RATE_LIMITED']]);
      expect(sixth.headers.get('retry-after')).toMatch(/^\d+$/);
      const usage = await fetch(first.graphqlUrl.replace('/graphql', '/usage'), { headers: { 'x-api-key': key } });
      expect(((await usage.json()) as { requests: number }).requests).toBe(7);
    });
  });

  describe('query limits', () => {
    let url: string;
    beforeAll(async () => {
      url = (await running.stack.startGateway({ GATEWAY_MAX_DEPTH: '5', GATEWAY_MAX_COST: '40' })).graphqlUrl;
    });

    it('refuses a query nested deeper than the limit with QUERY_TOO_DEEP, before any subgraph is asked', async () => {
      const deep = '{ bikesNear(lat: 52, lon: 4, radiusMeters: 100) { edges { node { station { location { latitude } } } } } }';
      const result = await graphql(url, deep, { apiKey: await newKey() });
      expect(errorCodes(result)).toEqual(['QUERY_TOO_DEEP']);
      expect(result.data).toBeUndefined();
      expect((await graphql(url, '{ bikesNear(lat: 52, lon: 4, radiusMeters: 100) { edges { node { id } } } }', { apiKey: await newKey() })).errors).toBeUndefined();
    });

    it('refuses a query that would cost more than the limit with QUERY_TOO_COMPLEX', async () => {
      const wide = `{ ${Array.from({ length: 12 }, (_, n) => `t${n}: tariff { holdMinutes unlockFee { amountMinor currency } }`).join(' ')} }`;
      const result = await graphql(url, wide, { apiKey: await newKey() });
      expect(errorCodes(result)).toEqual(['QUERY_TOO_COMPLEX']);
    });
  });

  it('answers a persisted query by its hash once it has been sent whole (automatic persisted queries)', async () => {
    const url = running.stack.service('gateway').graphqlUrl;
    const apiKey = await newKey();
    // A document of this case's own: the shared gateway may have seen any other.
    const query = `query Persisted${randomUUID().replaceAll('-', '')} { tariff { holdMinutes perMinute { amountMinor } } }`;
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const unknown = await graphql(url, query, { apiKey, omitQuery: true, extensions: { persistedQuery } });
    expect(errorCodes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await graphql(url, query, { apiKey, extensions: { persistedQuery } });
    expect(registered.data).toEqual({ tariff: { holdMinutes: 30, perMinute: { amountMinor: 25 } } });
    const byHash = await graphql(url, query, { apiKey, omitQuery: true, extensions: { persistedQuery } });
    expect(byHash.data).toEqual(registered.data);
  });

  it('in production mode has no introspection, no landing page and no internals in errors', async () => {
    const gateway = await running.stack.startGateway(PRODUCTION_GATEWAY_ENV);
    const apiKey = await developerKey();
    const introspection = await graphql(gateway.graphqlUrl, '{ __schema { types { name } } }', { apiKey });
    expect(errorCodes(introspection)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const landing = await fetch(gateway.graphqlUrl, { headers: { accept: 'text/html', 'x-api-key': apiKey } });
    expect(landing.headers.get('content-type') ?? '').not.toMatch(/html/);
    const broken = await graphql(gateway.graphqlUrl, '{ bike(id: "not-a-uuid") { id } }', { apiKey });
    expect(errorCodes(broken)).toEqual(['BAD_USER_INPUT']);
    const text = JSON.stringify(broken);
    expect(text).not.toMatch(/stacktrace|at .*\.ts|127\.0\.0\.1|serviceName|SELECT/i);
  });

  it('serves the demo keys and rider only when the launcher names their file, never from the data folder by default', async () => {
    const demoFile = join(dataDir, 'demo-credentials.json');
    writeFileSync(demoFile, JSON.stringify({ riderEmail: 'demo.rider@ecowheels.example', riderPassword: 'demo-secret', apiKey: 'ewk_demo', developerApiKey: 'ewk_developer', opsApiKey: 'ewk_ops' }));
    const settings = async (env: Record<string, string>) => fetch(`${new URL((await running.stack.startGateway({ DATA_DIR: dataDir, ...env })).graphqlUrl).origin}/graphql/explorer/settings.json`);
    // A deployed gateway, in development mode or not, with the demo's file in its data folder.
    for (const nodeEnv of ['development', 'test', 'production']) {
      const answer = await settings(nodeEnv === 'production' ? PRODUCTION_GATEWAY_ENV : { NODE_ENV: nodeEnv });
      // No such page: the request falls through to the API, which wants a key.
      expect({ nodeEnv, status: answer.status }).toEqual({ nodeEnv, status: 401 });
      expect(await answer.text()).not.toContain('demo-secret');
    }
    // The launcher's demo gateway.
    const demo = await settings({ NODE_ENV: 'development', GATEWAY_DEMO_CREDENTIALS_FILE: demoFile });
    // The explorer sends free-form documents: it gets the developer key, not the app's.
    expect(await demo.json()).toEqual({ apiKey: 'ewk_developer', opsApiKey: 'ewk_ops', demoRider: { email: 'demo.rider@ecowheels.example', password: 'demo-secret' } });
  });

  it('starts and answers while a subgraph is down, because the supergraph is composed ahead of time', async () => {
    const gateway = await running.stack.startGateway({ PAYMENT_SUBGRAPH_URL: `http://${await unusedAddress()}/graphql` });
    const apiKey = await newKey();
    expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey })).data).toEqual({ tariff: { holdMinutes: 30 } });
  });

  it('in production mode calls a subgraph that is down SERVICE_UNAVAILABLE, not an internal error, and names no address', async () => {
    const gateway = await running.stack.startGateway({ ...PRODUCTION_GATEWAY_ENV, PAYMENT_SUBGRAPH_URL: `http://${await unusedAddress()}/graphql` });
    const apiKey = await developerKey();
    const rider = await newRider(running.clients);
    const login = await graphql(gateway.graphqlUrl, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { apiKey, variables: { e: rider.email, p: rider.password } });
    const wallet = await graphql(gateway.graphqlUrl, '{ me { wallet { available { amountMinor } } } }', { apiKey, token: login.data!.login.token });
    expect(wallet.errors!.map((error) => [error.extensions?.code, error.message])).toEqual([['SERVICE_UNAVAILABLE', 'the payment part of the API is unavailable right now; retry shortly']]);
    expect(JSON.stringify(wallet)).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b|ECONNREFUSED|fetch failed|serviceName/);
  });

  it('serves /metrics on its own port, never on the public one', async () => {
    const gateway = running.stack.service('gateway');
    const publicMetrics = await fetch(gateway.graphqlUrl.replace('/graphql', '/metrics'));
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.text()).not.toMatch(/process_|nodejs_|target_info/);
    const metrics = await fetch(gateway.ready.metricsUrl as string);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/# TYPE/);
  });

  it('refuses an address that tries too many unknown API keys before asking the user service, and remembers a bad key briefly', async () => {
    const gateway = await running.stack.startGateway({ GATEWAY_UNKNOWN_API_KEYS_PER_MINUTE: '5' });
    const goodKey = await newKey();
    expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: goodKey })).status).toBe(200); // cached from here on
    // The same bad key again and again is answered from the cache: it counts once.
    for (let n = 0; n < 10; n += 1) expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: 'the same wrong key' })).status).toBe(401);
    for (let n = 0; n < 4; n += 1) expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: `made-up-${n}` })).status).toBe(401);
    const refused = await graphql(gateway.graphqlUrl, CHEAP, { apiKey: 'made-up-5' });
    expect({ status: refused.status, codes: errorCodes(refused) }).toEqual({ status: 429, codes: ['RATE_LIMITED'] });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // A key the gateway already knows keeps working from that address.
    expect((await graphql(gateway.graphqlUrl, CHEAP, { apiKey: goodKey })).data).toEqual({ tariff: { holdMinutes: 30 } });
  });

  it('locks an address out of logins after 20 failures across accounts, with Retry-After', async () => {
    // A gateway behind one trusted proxy, and a client address of this case's own: the lock-out is
    // kept by the user service, which the other files of the run share.
    const url = (await running.stack.startGateway({ GATEWAY_TRUST_PROXY_HOPS: '1' })).graphqlUrl;
    const apiKey = await newKey();
    const headers = { 'x-forwarded-for': '198.51.100.20' };
    const attempt = (email: string) =>
      graphql(url, 'mutation ($e: String!) { login(email: $e, password: "wrong") { token errors { code } } }', { apiKey, variables: { e: email }, headers });
    for (let n = 0; n < 20; n += 1) expect((await attempt(`sweep-${n}@example.test`)).data!.login.errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
    const locked = await attempt('sweep-20@example.test');
    expect(errorCodes(locked)).toEqual(['RATE_LIMITED']);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
