// Failed logins through the public API, from several client addresses (X-Forwarded-For, which this
// gateway trusts one hop of): guessing locks out the guessing address, for that account, and never
// the owner; an account guessed at from many places is slowed down, not locked.
import { randomUUID } from 'node:crypto';
import { newRider } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';

const LOGIN = 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }';

describeWithPostgres('failed logins and the owner of the account', () => {
  const running = useTestStack({ GATEWAY_TRUST_PROXY_HOPS: '1', USER_LOGIN_SLOW_DOWN_AFTER_FAILURES_PER_ACCOUNT: '8' });
  let url: string;
  let apiKey: string;
  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Login guards test app', scopes: [] })).apiKey;
  });

  let addresses = 0;
  const clientAddress = () => `198.51.100.${(addresses += 1)}`;
  const login = (email: string, password: string, from: string) => graphql(url, LOGIN, { apiKey, variables: { e: email, p: password }, headers: { 'x-forwarded-for': from } });

  it('lets the owner in after five wrong passwords from five other addresses', async () => {
    const owner = await newRider(running.clients);
    for (let n = 0; n < 5; n += 1) expect((await login(owner.email, 'a wrong guess', clientAddress())).data!.login.errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
    expect((await login(owner.email, owner.password, clientAddress())).data!.login).toEqual({ token: expect.any(String), errors: [] });
  });

  it('locks out the address that guessed five times, for that account only', async () => {
    const owner = await newRider(running.clients);
    const other = await newRider(running.clients);
    const guesser = clientAddress();
    for (let n = 0; n < 5; n += 1) expect((await login(owner.email, 'a wrong guess', guesser)).data!.login.errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
    const locked = await login(owner.email, owner.password, guesser);
    expect(errorCodes(locked)).toEqual(['RATE_LIMITED']);
    expect(locked.errors![0].message).toMatch(/^too many failed logins; try again in \d+ s$/);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    // The same address may still log in to another account, and the owner from anywhere else.
    expect((await login(other.email, other.password, guesser)).data!.login.errors).toEqual([]);
    expect((await login(owner.email, owner.password, clientAddress())).data!.login.errors).toEqual([]);
  });

  it('slows an account guessed at from many addresses down, and still lets its owner in', async () => {
    const owner = await newRider(running.clients);
    for (let n = 0; n < 10; n += 1) expect((await login(owner.email, `guess ${n}`, clientAddress())).data!.login.errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
    const started = performance.now();
    expect((await login(owner.email, owner.password, clientAddress())).data!.login).toEqual({ token: expect.any(String), errors: [] });
    // Ten failures, two past the eight allowed: 250 ms doubled twice.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('counts an address across accounts too: a sweep of twenty is locked out', async () => {
    const sweeper = clientAddress();
    for (let n = 0; n < 20; n += 1) expect((await login(`sweep-${randomUUID()}@example.test`, 'a wrong guess', sweeper)).data!.login.errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
    expect(errorCodes(await login(`sweep-${randomUUID()}@example.test`, 'a wrong guess', sweeper))).toEqual(['RATE_LIMITED']);
  });
});
