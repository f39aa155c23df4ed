// Contract of UserService: every RPC's success path and its error statuses, against the real
// service process on a PostgreSQL database.
import { status } from '@grpc/grpc-js';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { RiderStatus } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { expectStatus, userClient, type TestClient } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { ServiceProcess } from '../../services/local-stack/src/launched-service';
import { SingleService, TEST_ENV } from '../support/stack';
import type { UserServiceClient } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';

describeWithPostgres('UserService contract', () => {
  let running: SingleService;
  let user: TestClient<UserServiceClient>;

  beforeAll(async () => {
    running = await SingleService.start('user');
    user = userClient(running.address, running.credentials);
  });
  afterAll(async () => {
    user?.close();
    await running?.stop();
  });

  const register = (email = `r-${randomUUID()}@Example.test`) =>
    user.createRider({ email, displayName: 'Ada Rider', password: 'long enough password' });

  describe('CreateRider', () => {
    it('registers an active, unverified rider with a lower-case email and a hashed password', async () => {
      const { rider } = await register('Mixed.Case@Example.TEST'.replace('Mixed', `m${randomUUID().slice(0, 8)}`));
      expect(rider).toMatchObject({ status: RiderStatus.RIDER_STATUS_ACTIVE, verified: false, displayName: 'Ada Rider' });
      expect(rider!.email).toBe(rider!.email.toLowerCase());
      const [row] = await running.db.query<{ password_hash: string }>('SELECT password_hash FROM riders WHERE id = $1', [rider!.id]);
      expect(row.password_hash).toMatch(/^scrypt\$/);
      expect(row.password_hash).not.toContain('long enough password');
    });

    it('refuses a taken email with ALREADY_EXISTS, whatever its case', async () => {
      const email = `taken-${randomUUID()}@example.test`;
      await register(email);
      await expectStatus(register(email.toUpperCase()), status.ALREADY_EXISTS, /already exists/);
    });

    it('refuses a bad email, an empty name and a short password with INVALID_ARGUMENT naming each field', async () => {
      const error = await expectStatus(
        user.createRider({ email: 'not-an-email', displayName: ' ', password: 'short' }),
        status.INVALID_ARGUMENT,
      );
      expect(error.details).toMatch(/email: must be an email address/);
      expect(error.details).toMatch(/display_name: must not be empty/);
      expect(error.details).toMatch(/password: must be at least 10 characters/);
    });
  });

  describe('GetRider and BatchGetRiders', () => {
    it('reads a rider by id', async () => {
      const { rider } = await register();
      expect((await user.getRider({ riderId: rider!.id })).rider).toEqual(rider);
    });

    it('answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one', async () => {
      await expectStatus(user.getRider({ riderId: randomUUID() }), status.NOT_FOUND, /does not exist/);
      await expectStatus(user.getRider({ riderId: 'nope' }), status.INVALID_ARGUMENT, /rider_id: must be a UUID/);
    });

    it('reads many riders at once and leaves unknown ids out', async () => {
      const [a, b] = await Promise.all([register(), register()]);
      const { riders } = await user.batchGetRiders({ riderIds: [a.rider!.id, b.rider!.id, randomUUID(), a.rider!.id] });
      expect(riders.map((rider) => rider.id).sort()).toEqual([a.rider!.id, b.rider!.id].sort());
    });
  });

  describe('VerifyRider, ConfirmRiderIdentity and UpdateRiderStatus', () => {
    it('refuses an unverified rider with FAILED_PRECONDITION, then accepts them once verified', async () => {
      const { rider } = await register();
      await expectStatus(user.verifyRider({ riderId: rider!.id }), status.FAILED_PRECONDITION, /not been verified/);
      const confirmed = await user.confirmRiderIdentity({ riderId: rider!.id });
      expect(confirmed.rider!.verified).toBe(true);
      expect((await user.verifyRider({ riderId: rider!.id })).rider!.id).toBe(rider!.id);
    });

    it('refuses a suspended rider, and accepts them again once reinstated', async () => {
      const { rider } = await register();
      await user.confirmRiderIdentity({ riderId: rider!.id });
      const suspended = await user.updateRiderStatus({ riderId: rider!.id, status: RiderStatus.RIDER_STATUS_SUSPENDED, reason: 'unpaid damage' });
      expect(suspended.rider!.status).toBe(RiderStatus.RIDER_STATUS_SUSPENDED);
      await expectStatus(user.verifyRider({ riderId: rider!.id }), status.FAILED_PRECONDITION, /suspended/);
      await user.updateRiderStatus({ riderId: rider!.id, status: RiderStatus.RIDER_STATUS_ACTIVE, reason: 'paid' });
      await expect(user.verifyRider({ riderId: rider!.id })).resolves.toBeDefined();
    });

    it('answers NOT_FOUND for unknown riders and INVALID_ARGUMENT for an unset status or reason', async () => {
      await expectStatus(user.verifyRider({ riderId: randomUUID() }), status.NOT_FOUND);
      await expectStatus(user.confirmRiderIdentity({ riderId: randomUUID() }), status.NOT_FOUND);
      const { rider } = await register();
      const error = await expectStatus(
        user.updateRiderStatus({ riderId: rider!.id, status: RiderStatus.RIDER_STATUS_UNSPECIFIED, reason: '' }),
        status.INVALID_ARGUMENT,
      );
      expect(error.details).toMatch(/status: must be RIDER_STATUS_ACTIVE or RIDER_STATUS_SUSPENDED/);
      expect(error.details).toMatch(/reason: must say why/);
    });
  });

  describe('LoginRider and GetTokenVerificationKeys', () => {
    it('issues a token that verifies against the published keys, for the right subject and audience', async () => {
      const email = `login-${randomUUID()}@example.test`;
      const { rider } = await register(email);
      const login = await user.loginRider({ email: email.toUpperCase(), password: 'long enough password' });
      const keys = await user.getTokenVerificationKeys({});
      const { payload } = await jwtVerify(login.accessToken, createLocalJWKSet(JSON.parse(keys.jwksJson)), {
        issuer: keys.issuer,
        audience: keys.audience,
      });
      expect(payload.sub).toBe(rider!.id);
      expect(login.expireTime!.getTime()).toBeGreaterThan(Date.now());
    });

    it('answers UNAUTHENTICATED for a wrong password and for an unknown email alike', async () => {
      const email = `wrong-${randomUUID()}@example.test`;
      await register(email);
      await expectStatus(user.loginRider({ email, password: 'not the password' }), status.UNAUTHENTICATED, /email or password is wrong/);
      await expectStatus(user.loginRider({ email: `nobody-${randomUUID()}@example.test`, password: 'whatever123' }), status.UNAUTHENTICATED, /email or password is wrong/);
    });

    it('refuses a suspended rider with FAILED_PRECONDITION', async () => {
      const email = `suspended-${randomUUID()}@example.test`;
      const { rider } = await register(email);
      await user.updateRiderStatus({ riderId: rider!.id, status: RiderStatus.RIDER_STATUS_SUSPENDED, reason: 'fraud check' });
      await expectStatus(user.loginRider({ email, password: 'long enough password' }), status.FAILED_PRECONDITION, /suspended/);
    });

    it('shares failed-login counts with every replica: five failures on one lock the account out of the other', async () => {
      const email = `replicas-${randomUUID()}@example.test`;
      await register(email);
      const replica = await ServiceProcess.start('user', { ...TEST_ENV, USER_DATABASE_URL: running.db.url });
      const other = userClient(replica.address, running.credentials);
      try {
        for (let n = 0; n < 5; n += 1) await expectStatus(user.loginRider({ email, password: 'not the password' }), status.UNAUTHENTICATED);
        await expectStatus(other.loginRider({ email, password: 'long enough password' }), status.RESOURCE_EXHAUSTED, /too many failed logins; try again in \d+ s/);
      } finally {
        other.close();
        await replica.stop();
      }
    });

    it('keeps the signing key across a restart, so issued tokens stay valid', async () => {
      const before = await user.getTokenVerificationKeys({});
      await running.restart();
      user.close();
      user = userClient(running.address, running.credentials);
      expect((await user.getTokenVerificationKeys({})).jwksJson).toBe(before.jwksJson);
    });

    it('signs with the key it is given (USER_TOKEN_PRIVATE_KEY) instead of the one it keeps', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      await running.restart({ USER_TOKEN_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
      user.close();
      user = userClient(running.address, running.credentials);
      const email = `configured-key-${randomUUID()}@example.test`;
      const { rider } = await register(email);
      const login = await user.loginRider({ email, password: 'long enough password' });
      const keys = await user.getTokenVerificationKeys({});
      const { payload } = await jwtVerify(login.accessToken, publicKey, { issuer: keys.issuer, audience: keys.audience });
      expect(payload.sub).toBe(rider!.id);
      const { payload: viaPublished } = await jwtVerify(login.accessToken, createLocalJWKSet(JSON.parse(keys.jwksJson)), { issuer: keys.issuer, audience: keys.audience });
      expect(viaPublished.sub).toBe(rider!.id);
    });
  });

  describe('API clients', () => {
    it('shows the key once, stores only its hash, and recognises it afterwards', async () => {
      const created = await user.createApiClient({ name: 'EcoWheels iOS', scopes: [] });
      expect(created.apiKey).toMatch(/^ewk_/);
      expect(created.apiClient).toMatchObject({ name: 'EcoWheels iOS', active: true });
      expect(created.apiKey.startsWith(created.apiClient!.keyPrefix)).toBe(true);
      const rows = await running.db.query<{ key_hash: string }>('SELECT key_hash FROM api_clients WHERE id = $1', [created.apiClient!.id]);
      expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(created.apiKey);
      expect((await user.validateApiKey({ apiKey: created.apiKey })).apiClient!.id).toBe(created.apiClient!.id);
    });

    it('answers UNAUTHENTICATED for an unknown key and for a revoked one', async () => {
      await expectStatus(user.validateApiKey({ apiKey: 'ewk_not-a-real-key' }), status.UNAUTHENTICATED, /not valid or has been revoked/);
      const created = await user.createApiClient({ name: 'EcoWheels Android', scopes: [] });
      const revoked = await user.revokeApiClient({ apiClientId: created.apiClient!.id });
      expect(revoked.apiClient!.active).toBe(false);
      await expectStatus(user.validateApiKey({ apiKey: created.apiKey }), status.UNAUTHENTICATED);
    });

    it('answers INVALID_ARGUMENT for an empty name or key, NOT_FOUND when revoking an unknown client', async () => {
      await expectStatus(user.createApiClient({ name: '', scopes: [] }), status.INVALID_ARGUMENT, /name: must not be empty/);
      await expectStatus(user.validateApiKey({ apiKey: '' }), status.INVALID_ARGUMENT, /api_key: is required/);
      await expectStatus(user.revokeApiClient({ apiClientId: randomUUID() }), status.NOT_FOUND);
    });
  });
});
