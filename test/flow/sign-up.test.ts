// Sign-up through the public API, as a mobile app does it, from the first screen to the first ride:
// signUp (a token at once; browsing works, riding does not), the code mailed to the address (the
// sandbox mailbox), confirmEmail, logging in by email, the identity check with the sandbox's test
// documents, a top-up with a sandbox card, and a ride. Also: a taken address gets the same answer
// (and its owner a mail instead of a code), weak passwords are refused with advice, and sign-ups
// are throttled per client address.
import { randomUUID } from 'node:crypto';
import { CENTRE, newBike, newRider } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';

const STRONG = 'copper kettle under nine lanterns';
const SIGN_UP = `mutation ($e: String!, $p: String!, $n: String!) {
  signUp(email: $e, password: $p, displayName: $n) { token expiresAt user { id email emailConfirmed verified } errors { code message } }
}`;

describeWithPostgres('signing up through the API, up to the first ride', () => {
  // Six sign-ups an hour from one address, so the throttle is reached within the file.
  const running = useTestStack({ USER_SIGNUPS_PER_ADDRESS_PER_HOUR: '6' });
  let url: string;
  let apiKey: string;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Sign-up test app', scopes: [] })).apiKey;
  });

  const signUp = async (email: string, password = STRONG, displayName = 'Robin Rider') =>
    graphql(url, SIGN_UP, { apiKey, variables: { e: email, p: password, n: displayName } });
  const call = (query: string, token: string, variables: Record<string, unknown> = {}) => graphql(url, query, { apiKey, token, variables });
  /** What the sandbox mail provider delivered to an address, newest first. */
  const mailbox = (address: string) =>
    running.stack.db.user.query<{ subject: string; body: string }>('SELECT subject, body FROM sandbox_mailbox WHERE to_address = $1 ORDER BY sent_at DESC', [address]);
  const loginToken = async (email: string, password: string) =>
    (await graphql(url, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }', { apiKey, variables: { e: email, p: password } })).data!.login;

  it('takes a new rider from sign-up to a completed first ride', async () => {
    const email = `new-${randomUUID()}@example.com`;
    const answer = await signUp(email.toUpperCase());
    expect(answer.data!.signUp).toMatchObject({ token: expect.any(String), user: { email, emailConfirmed: false, verified: false }, errors: [] });
    const token = answer.data!.signUp.token as string;

    // Browsing works at once; riding does not.
    const bike = await newBike(running.clients);
    const near = await call('query ($lat: Float!, $lon: Float!) { bikesNear(lat: $lat, lon: $lon, radiusMeters: 500) { edges { node { id } } } }', token, { lat: CENTRE.latitude, lon: CENTRE.longitude });
    expect(near.errors).toBeUndefined();
    const early = await call('mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code message } } }', token, { b: bike.id, k: randomUUID() });
    expect(early.data!.startRide.errors).toEqual([{ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/not been verified/) }]);
    // Neither the identity check nor a login by email before the address is confirmed.
    const unconfirmed = await call('mutation { checkIdentity(document: "sandbox-passport-approved") { status errors { code message } } }', token);
    expect(unconfirmed.data!.checkIdentity).toEqual({ status: null, errors: [{ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/confirm your email/) }] });
    expect((await loginToken(email, STRONG)).errors).toEqual([{ code: 'UNAUTHENTICATED' }]);

    // The code from the mail confirms the address; a wrong one is refused.
    const [mail] = await mailbox(email);
    expect(mail.subject).toBe('Confirm your address for EcoWheels');
    const code = /code=([\w-]+)/.exec(mail.body)![1];
    const wrong = await call('mutation ($c: String!) { confirmEmail(code: $c) { user { emailConfirmed } errors { code } } }', token, { c: 'not-the-code' });
    expect(wrong.data!.confirmEmail).toEqual({ user: null, errors: [{ code: 'BAD_USER_INPUT' }] });
    const confirmed = await call('mutation ($c: String!) { confirmEmail(code: $c) { user { emailConfirmed } errors { code } } }', token, { c: code });
    expect(confirmed.data!.confirmEmail).toEqual({ user: { emailConfirmed: true }, errors: [] });
    expect((await loginToken(email, STRONG)).token).toEqual(expect.any(String));

    // The sandbox's documented outcomes: a refusal with its reason, then an approval.
    const check = (document: string) => call('mutation ($d: String!) { checkIdentity(document: $d) { status reason user { verified } errors { code message } } }', token, { d: document });
    expect((await check('sandbox-passport-expired')).data!.checkIdentity).toEqual({ status: 'REJECTED', reason: expect.stringMatching(/expired/), user: { verified: false }, errors: [] });
    expect((await check('sandbox-needs-review')).data!.checkIdentity).toMatchObject({ status: 'IN_REVIEW', user: { verified: false } });
    expect((await check('a-real-passport-scan')).data!.checkIdentity).toEqual({ status: null, reason: null, user: null, errors: [{ code: 'BAD_USER_INPUT', message: expect.stringMatching(/only its test documents/) }] });
    expect((await check('sandbox-passport-approved')).data!.checkIdentity).toEqual({ status: 'APPROVED', reason: null, user: { verified: true }, errors: [] });

    // Money with a sandbox card, then the first ride.
    const topUp = await call('mutation ($k: String!) { topUpWallet(amountMinor: 2000, cardNumber: "4242 4242 4242 4242", idempotencyKey: $k) { errors { code } } }', token, { k: randomUUID() });
    expect(topUp.data!.topUpWallet.errors).toEqual([]);
    const started = await call('mutation ($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id status } errors { code message } } }', token, { b: bike.id, k: randomUUID() });
    expect(started.data!.startRide).toMatchObject({ ride: { status: 'ACTIVE' }, errors: [] });
    const ended = await call(
      'mutation ($r: ID!, $lat: Float!, $lon: Float!) { endRide(rideId: $r, latitude: $lat, longitude: $lon) { ride { status } errors { code message } } }',
      token,
      { r: started.data!.startRide.ride.id, lat: CENTRE.latitude, lon: CENTRE.longitude },
    );
    expect(ended.data!.endRide).toEqual({ ride: { status: 'COMPLETED' }, errors: [] });
  });

  it('answers a taken address exactly like a free one, and mails its owner instead of a code', async () => {
    const owner = await newRider(running.clients);
    const free = await signUp(`free-${randomUUID()}@example.com`);
    const taken = await signUp(owner.email);
    const shape = (answer: typeof free) => {
      const { token, expiresAt, user, errors } = answer.data!.signUp;
      return { token: typeof token, expiresAt: typeof expiresAt, user: { ...user, id: typeof user.id, email: typeof user.email }, errors };
    };
    expect(shape(taken)).toEqual(shape(free));
    expect(taken.data!.signUp.user).toMatchObject({ email: owner.email, emailConfirmed: false, verified: false });
    const [mail] = await mailbox(owner.email);
    expect(mail.subject).toBe('Someone signed up to EcoWheels with your address');
    expect(mail.body).not.toMatch(/code/);
    // The owner's account is as it was.
    expect((await loginToken(owner.email, owner.password)).token).toEqual(expect.any(String));
    expect((await loginToken(owner.email, STRONG)).errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
  });

  it('refuses a weak password or a bad address with what to change, and throttles sign-ups per client address', async () => {
    const weak = await signUp(`weak-${randomUUID()}@example.com`, 'password123');
    expect(weak.data!.signUp).toEqual({ token: null, expiresAt: null, user: null, errors: [{ code: 'BAD_USER_INPUT', message: expect.stringMatching(/too easy to guess: This is a commonly used password/) }] });
    const short = await signUp(`short-${randomUUID()}@example.com`, 'k9$Lm2#');
    expect(short.data!.signUp.errors).toEqual([{ code: 'BAD_USER_INPUT', message: 'password: must be at least 10 characters' }]);
    const address = await signUp('not an address');
    expect(address.data!.signUp.errors).toEqual([{ code: 'BAD_USER_INPUT', message: 'email: must be an email address' }]);
    // Twice in one request is refused before anything runs.
    const twice = await graphql(url, `mutation { a: signUp(email: "a-${randomUUID()}@example.com", password: "${STRONG}", displayName: "A") { token } b: signUp(email: "b-${randomUUID()}@example.com", password: "${STRONG}", displayName: "B") { token } }`, { apiKey });
    expect(errorCodes(twice)).toEqual(['MUTATION_REPEATED']);
    // Three accepted sign-ups so far from this address, of six an hour.
    for (let n = 0; n < 3; n += 1) expect((await signUp(`more-${randomUUID()}@example.com`)).data!.signUp.errors).toEqual([]);
    const refused = await signUp(`over-${randomUUID()}@example.com`);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
