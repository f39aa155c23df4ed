// The public GraphQL API through the real gateway over HTTP, in front of the real services (the
// run's shared stack): every query and mutation, and the rules at the edge (API key, rider token,
// who sees what).
import { randomUUID, generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { CENTRE, newBike, newRider, topUp } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { useSharedStack } from '../support/stack';

describeWithPostgres('GraphQL API through the gateway', () => {
  const running = useSharedStack();
  let url: string;
  let apiKey: string;
  /** The key the user service signs tokens with: it made it at its first start and keeps it in its database. */
  let signingKey: string;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Gateway test app', scopes: [] })).apiKey;
    [{ private_key_pem: signingKey }] = await running.stack.db.user.query<{ private_key_pem: string }>(`SELECT private_key_pem FROM token_signing_keys WHERE kid = 'default'`);
  });

  const login = async (email: string, password: string) => {
    const result = await graphql(url, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { id email } errors { code message } } }', {
      apiKey,
      variables: { e: email, p: password },
    });
    return result.data!.login;
  };

  const riderWithToken = async () => {
    const rider = await newRider(running.clients);
    const { token } = await login(rider.email, rider.password);
    return { ...rider, token: token as string };
  };

  it('logs a rider in and answers `me` with the token', async () => {
    const rider = await newRider(running.clients);
    const session = await login(rider.email.toUpperCase(), rider.password);
    expect(session).toMatchObject({ user: { id: rider.riderId }, errors: [] });
    expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = await graphql(url, '{ me { id email displayName status verified } }', { apiKey, token: session.token });
    expect(me.data!.me).toEqual({ id: rider.riderId, email: rider.email, displayName: 'Test Rider', status: 'ACTIVE', verified: true });
  });

  it('answers a wrong password inside the login payload', async () => {
    const rider = await newRider(running.clients);
    const session = await login(rider.email, 'not the password');
    expect(session).toMatchObject({ token: null, user: null, errors: [{ code: 'UNAUTHENTICATED' }] });
  });

  it('finds bikes near a point, a page at a time, and reads one bike', async () => {
    const spot = { latitude: 48.8584, longitude: 2.2945 }; // a place no other test uses
    const bikes = [];
    for (let n = 0; n < 3; n += 1) {
      bikes.push((await running.clients.inventory.registerBike({ model: `Paris ${n}`, location: { latitude: spot.latitude + n * 0.001, longitude: spot.longitude }, batteryPercent: 90, stationId: '' })).bike!);
    }
    const query = 'query ($after: String) { bikesNear(lat: 48.8584, lon: 2.2945, radiusMeters: 1000, first: 2, after: $after) { edges { cursor distanceMeters node { id model batteryPercent location { latitude } } } pageInfo { hasNextPage endCursor } } }';
    const first = await graphql(url, query, { apiKey });
    // Riders see each bike under its listing id, never its own.
    expect(first.data!.bikesNear.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([bikes[0].listingId, bikes[1].listingId]);
    expect(first.data!.bikesNear.pageInfo.hasNextPage).toBe(true);
    const second = await graphql(url, query, { apiKey, variables: { after: first.data!.bikesNear.pageInfo.endCursor } });
    expect(second.data!.bikesNear.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([bikes[2].listingId]);
    expect(second.data!.bikesNear.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    const one = await graphql(url, `{ bike(id: "${bikes[0].listingId}") { model status station { id } } }`, { apiKey });
    expect(one.data!.bike).toEqual({ model: 'Paris 0', status: 'AVAILABLE', station: null });
  });

  it('tops up the wallet, starts a ride, reads it with its bike and charge, ends it and shows the fare', async () => {
    const rider = await riderWithToken();
    const bike = await newBike(running.clients);
    const call = (query: string, variables?: Record<string, unknown>) => graphql(url, query, { apiKey, token: rider.token, variables });

    const topUp = await call('mutation ($k: String!) { topUpWallet(amountMinor: 2000, cardNumber: "4242 4242 4242 4242", idempotencyKey: $k) { wallet { available { amountMinor formatted } } errors { code } } }', { k: randomUUID() });
    expect(topUp.data!.topUpWallet).toEqual({ wallet: { available: { amountMinor: 2000, formatted: '20.00 EUR' } }, errors: [] });

    const started = await call('mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id status } errors { code message } } }', { b: bike.id, k: randomUUID() });
    expect(started.data!.startRide).toMatchObject({ ride: { status: 'ACTIVE' }, errors: [] });
    const rideId = started.data!.startRide.ride.id;

    const read = await call(`{ ride(id: "${rideId}") { status bike { id model } charge { status held { amountMinor } } tariff { unlockFee { formatted } } } }`);
    expect(read.data!.ride).toEqual({ status: 'ACTIVE', bike: { id: bike.listingId, model: bike.model }, charge: { status: 'HELD', held: { amountMinor: 850 } }, tariff: { unlockFee: { formatted: '1.00 EUR' } } });

    const ended = await call(`mutation { endRide(rideId: "${rideId}", latitude: ${CENTRE.latitude}, longitude: ${CENTRE.longitude}, batteryPercent: 70) { ride { status fare { amountMinor } charge { status captured { amountMinor } } } errors { code } } }`);
    expect(ended.data!.endRide).toEqual({ ride: { status: 'COMPLETED', fare: { amountMinor: 125 }, charge: { status: 'CAPTURED', captured: { amountMinor: 125 } } }, errors: [] });

    const mine = await call('{ wallet { available { amountMinor } held { amountMinor } } myRides(first: 5) { edges { node { id } } pageInfo { hasNextPage } } me { rides(first: 1) { edges { node { id } } } wallet { available { amountMinor } } } tariff { holdMinutes } }');
    expect(mine.errors).toBeUndefined();
    expect(mine.data).toEqual({
      wallet: { available: { amountMinor: 1875 }, held: { amountMinor: 0 } },
      myRides: { edges: [{ node: { id: rideId } }], pageInfo: { hasNextPage: false } },
      me: { rides: { edges: [{ node: { id: rideId } }] }, wallet: { available: { amountMinor: 1875 } } },
      tariff: { holdMinutes: 30 },
    });
  });

  it('shows a bike\'s location to everyone while it is available, and during a ride only to its rider (and ops)', async () => {
    const rider = await riderWithToken();
    await topUp(running.clients, rider.riderId, 2000);
    const other = await riderWithToken();
    const opsKey = (await running.clients.user.createApiClient({ name: 'Ops console', scopes: ['ops'] })).apiKey;
    const bike = await newBike(running.clients);
    // A rider app names the bike by its listing id; operations by its own id.
    const where = async (options: { token?: string; key?: string } = {}) =>
      (await graphql(url, 'query ($id: ID!) { bike(id: $id) { status location { latitude } } }', { apiKey: options.key ?? apiKey, token: options.token, variables: { id: options.key ? bike.id : bike.listingId } })).data!.bike;
    expect(await where()).toEqual({ status: 'AVAILABLE', location: { latitude: CENTRE.latitude } });
    await running.clients.ride.startRide({ riderId: rider.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    expect(await where()).toEqual({ status: 'IN_RIDE', location: null });
    expect(await where({ token: other.token })).toEqual({ status: 'IN_RIDE', location: null });
    expect(await where({ token: rider.token })).toEqual({ status: 'IN_RIDE', location: { latitude: CENTRE.latitude } });
    expect(await where({ key: opsKey })).toEqual({ status: 'IN_RIDE', location: { latitude: CENTRE.latitude } });
  });

  it('answers refusals the rider can fix inside the mutation payload', async () => {
    const rider = await riderWithToken();
    const bike = await newBike(running.clients);
    const started = await graphql(url, 'mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code message } } }', {
      apiKey,
      token: rider.token,
      variables: { b: bike.id, k: randomUUID() },
    });
    expect(started.data!.startRide).toEqual({ ride: null, errors: [{ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/insufficient funds/) }] });
    const declined = await graphql(url, 'mutation { topUpWallet(amountMinor: 500, cardNumber: "4000000000000002", idempotencyKey: "declined-card-1") { wallet { available { amountMinor } } errors { code message } } }', { apiKey, token: rider.token });
    expect(declined.data!.topUpWallet).toEqual({ wallet: null, errors: [{ code: 'FAILED_PRECONDITION', message: 'card declined by the issuer' }] });
    const bad = await graphql(url, 'mutation { startRide(bikeId: "nope", idempotencyKey: "x") { ride { id } errors { code message } } }', { apiKey, token: rider.token });
    expect(bad.data!.startRide.errors[0]).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/bikeId: must be a UUID/) });
  });

  describe('at the edge', () => {
    it('refuses a request without an API key, or with a wrong one, with 401 UNAUTHENTICATED', async () => {
      const missing = await graphql(url, '{ tariff { holdMinutes } }');
      expect([missing.status, errorCodes(missing)]).toEqual([401, ['UNAUTHENTICATED']]);
      const wrong = await graphql(url, '{ tariff { holdMinutes } }', { apiKey: 'ewk_wrong' });
      expect([wrong.status, errorCodes(wrong)]).toEqual([401, ['UNAUTHENTICATED']]);
    });

    it('needs a rider token for rider data', async () => {
      const result = await graphql(url, '{ me { id } }', { apiKey });
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.data).toBeNull();
    });

    it('refuses an expired token and a forged one with 401', async () => {
      const rider = await newRider(running.clients);
      const key = await importPKCS8(signingKey, 'EdDSA');
      const expired = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject(rider.riderId).setIssuer('ecowheels-user')
        .setAudience('ecowheels-api').setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600).sign(key);
      const late = await graphql(url, '{ me { id } }', { apiKey, token: expired });
      expect([late.status, errorCodes(late), late.errors![0].message]).toEqual([401, ['UNAUTHENTICATED'], 'the token has expired; log in again']);
      const otherKey = await importPKCS8(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'EdDSA');
      const forged = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject(rider.riderId).setIssuer('ecowheels-user')
        .setAudience('ecowheels-api').setExpirationTime('1h').sign(otherKey);
      const refused = await graphql(url, '{ me { id } }', { apiKey, token: forged });
      expect([refused.status, errorCodes(refused)]).toEqual([401, ['UNAUTHENTICATED']]);
    });

    it('refuses a token once it expires, though the gateway accepted it before', async () => {
      const rider = await newRider(running.clients);
      const key = await importPKCS8(signingKey, 'EdDSA');
      // The gateway remembers a verified token (rider-tokens.ts): never past the token's own expiry.
      const expiresAt = Math.floor(Date.now() / 1000) + 2;
      const shortLived = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject(rider.riderId).setIssuer('ecowheels-user')
        .setAudience('ecowheels-api').setIssuedAt().setExpirationTime(expiresAt).sign(key);
      for (let n = 0; n < 2; n += 1) {
        const accepted = await graphql(url, '{ me { id } }', { apiKey, token: shortLived });
        expect(accepted.data).toEqual({ me: { id: rider.riderId } });
      }
      await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
      const late = await graphql(url, '{ me { id } }', { apiKey, token: shortLived });
      expect([late.status, errorCodes(late), late.errors![0].message]).toEqual([401, ['UNAUTHENTICATED'], 'the token has expired; log in again']);
    });

    it('refuses another rider\'s ride with FORBIDDEN', async () => {
      const owner = await riderWithToken();
      await running.clients.payment.topUpWallet({ riderId: owner.riderId, amount: { amountMinor: 2000, currency: 'EUR' }, cardNumber: '4242424242424242', idempotencyKey: randomUUID() });
      const bike = await newBike(running.clients);
      const { ride } = await running.clients.ride.startRide({ riderId: owner.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
      const stranger = await riderWithToken();
      const result = await graphql(url, `{ ride(id: "${ride!.id}") { id charge { status } } }`, { apiKey, token: stranger.token });
      expect(errorCodes(result)).toContain('FORBIDDEN');
      expect(result.data!.ride).toBeNull();
    });

    it('counts each API key\'s requests where they can be read', async () => {
      const { apiKey: freshKey, apiClient } = await running.clients.user.createApiClient({ name: 'Usage test app', scopes: [] });
      for (let n = 0; n < 3; n += 1) await graphql(url, '{ tariff { holdMinutes } }', { apiKey: freshKey });
      const response = await fetch(url.replace('/graphql', '/usage'), { headers: { 'x-api-key': freshKey } });
      expect(await response.json()).toEqual({ apiClientId: apiClient!.id, name: 'Usage test app', requests: 4 });
    });

    it('answers CORS preflights for the configured origins', async () => {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.ecowheels.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/x-api-key/);
      const answer = await graphql(url, '{ tariff { holdMinutes } }', { apiKey, headers: { origin: 'https://app.ecowheels.example' } });
      expect(answer.headers.get('access-control-expose-headers')).toBe('x-trace-id,retry-after');
    });

    it('refuses a body over the size limit with 413, and bad JSON with 400', async () => {
      const huge = await graphql(url, `{ tariff { holdMinutes } } # ${'x'.repeat(70_000)}`, { apiKey });
      expect([huge.status, errorCodes(huge)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: '{"query": ' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_REQUEST');
    });
  });
});
