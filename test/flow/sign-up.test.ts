// Sign-up through the public API, as a mobile app does it, from the first screen to the first ride:
// signUp (a token at once; browsing works, riding does not), the code mailed to the address (over
// SMTP, to a real SMTP server on loopback), confirmEmail, logging in by email, the identity check
// with the sandbox's test documents, a top-up with a sandbox card, and a ride. Also: a taken address
// gets the same answer (and its owner a mail instead of a code), weak passwords are refused with
// advice, and sign-ups, mail, codes and identity checks are counted before any costly work, in
// counts that survive a restart. Each throttled case comes from its own client address
// (X-Forwarded-For, which this gateway trusts one hop of), so the cases do not share counts.
import { randomBytes, randomUUID } from 'node:crypto';
import { CENTRE, newBike, newRider } from '../support/fixtures';
import { errorCodes, graphql } from '../support/graphql-client';
import { codeIn, MailCatcher } from '../support/mail';
import { eventually } from '../support/eventually';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';

const STRONG = 'copper kettle under nine lanterns';
const SIGN_UP = `mutation ($e: String!, $p: String!, $n: String!) {
  signUp(email: $e, password: $p, displayName: $n) { token expiresAt user { id email emailConfirmed verified } errors { code message } }
}`;

describeWithPostgres('signing up through the API, up to the first ride', () => {
  let mail: MailCatcher;
  beforeAll(async () => {
    mail = await MailCatcher.start();
  });
  afterAll(() => mail?.stop());
  // Six sign-ups an hour from one address, so the throttle is reached within the file.
  const running = useTestStack(() => ({ USER_SIGNUPS_PER_ADDRESS_PER_HOUR: '6', USER_MAIL_PROVIDER: 'smtp', USER_SMTP_URL: mail.url, GATEWAY_TRUST_PROXY_HOPS: '1' }));
  let url: string;
  let apiKey: string;

  beforeAll(async () => {
    url = running.stack.service('gateway').graphqlUrl;
    apiKey = (await running.clients.user.createApiClient({ name: 'Sign-up test app', scopes: [] })).apiKey;
    // A fresh user service answers "try again" until its password check has loaded its dictionaries:
    // a second or two, and far longer at the busiest start of a run. The cases begin once it takes a
    // sign-up (each try from an address of its own, so none counts against the cases' addresses).
    await eventually(
      async () => {
        const answer = await signUp(`warm-${randomUUID()}@example.com`, STRONG, 'Robin Rider', clientAddress());
        if (answer.data?.signUp.errors.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        throw new Error(JSON.stringify(answer.errors ?? answer.data));
      },
      { timeoutMs: 60_000, what: 'a first sign-up' },
    );
  });

  /** A client address of its own, so a case's counts are its own. */
  let addresses = 0;
  const clientAddress = () => `192.0.2.${(addresses += 1)}`;
  const signUp = async (email: string, password = STRONG, displayName = 'Robin Rider', from?: string) =>
    graphql(url, SIGN_UP, { apiKey, variables: { e: email, p: password, n: displayName }, headers: from ? { 'x-forwarded-for': from } : {} });
  /**
   * A sign-up as the app makes it: on the user service's own "try again in a few seconds" it waits
   * two seconds and tries again, twice at most (each try counts towards the address's six an hour).
   * A busy service says so while it judges many long passwords, and while its password check loads
   * its dictionaries again after a check cut short stopped the thread.
   */
  let refusals = 0;
  const signUpAsAnApp = async (email: string, password = STRONG, displayName = 'Robin Rider', from?: string) => {
    for (let attempt = 1; ; attempt += 1) {
      const answer = await signUp(email, password, displayName, from);
      // The user service's own "try again" (a timeout at the gateway would name no service).
      const refused = answer.errors?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE' && error.extensions.serviceName === 'user');
      if (!refused || attempt === 3) return answer;
      refusals += 1;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  const call = (query: string, token: string, variables: Record<string, unknown> = {}) => graphql(url, query, { apiKey, token, variables });
  /** What the SMTP server received for an address, newest first. */
  const mailbox = (address: string) => mail.mailTo(address);
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
    const [confirmation] = mailbox(email);
    expect(confirmation.subject).toBe('Confirm your address for EcoWheels');
    const code = codeIn(confirmation);
    // Only the code's hash is kept, and the code is in no log line.
    expect(await running.stack.db.user.query('SELECT 1 FROM riders WHERE email_code_hash = $1', [code])).toEqual([]);
    expect(running.stack.service('user').output.join('\n')).not.toContain(code);
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
    const [note] = mailbox(owner.email);
    expect(note.subject).toBe('Someone signed up to EcoWheels with your address');
    expect(note.text).not.toMatch(/code/);
    // The owner's account is as it was.
    expect((await loginToken(owner.email, owner.password)).token).toEqual(expect.any(String));
    expect((await loginToken(owner.email, STRONG)).errors).toEqual([{ code: 'UNAUTHENTICATED' }]);
  });

  it('refuses a weak password or a bad address with what to change', async () => {
    const from = clientAddress();
    const weak = await signUp(`weak-${randomUUID()}@example.com`, 'password123', 'Robin Rider', from);
    expect(weak.data!.signUp).toEqual({ token: null, expiresAt: null, user: null, errors: [{ code: 'BAD_USER_INPUT', message: expect.stringMatching(/too easy to guess: This is a commonly used password/) }] });
    const short = await signUp(`short-${randomUUID()}@example.com`, 'k9$Lm2#', 'Robin Rider', from);
    expect(short.data!.signUp.errors).toEqual([{ code: 'BAD_USER_INPUT', message: 'password: must be at least 10 characters' }]);
    const address = await signUp('not an address', STRONG, 'Robin Rider', from);
    expect(address.data!.signUp.errors).toEqual([{ code: 'BAD_USER_INPUT', message: 'email: must be an email address' }]);
    // Twice in one request is refused before anything runs.
    const twice = await graphql(url, `mutation { a: signUp(email: "a-${randomUUID()}@example.com", password: "${STRONG}", displayName: "A") { token } b: signUp(email: "b-${randomUUID()}@example.com", password: "${STRONG}", displayName: "B") { token } }`, { apiKey, headers: { 'x-forwarded-for': from } });
    expect(errorCodes(twice)).toEqual(['MUTATION_REPEATED']);
  });

  it.each([
    ['Summer2026!!', 'a common word with digits, symbols or a repeat added is among the first guesses'],
    ['letmein!letmein', 'a common word with digits, symbols or a repeat added is among the first guesses'],
    ['ecowheels-ecowheels', "it is built from your name, your email address or the service's name"],
    ['robin rider robin rider', "it is built from your name, your email address or the service's name"],
  ])('refuses %j, which an attacker tries early, saying why', async (password, why) => {
    const answer = await signUp(`guessable-${randomUUID()}@example.com`, password, 'Robin Rider', clientAddress());
    expect(answer.data!.signUp.errors).toEqual([{ code: 'BAD_USER_INPUT', message: `password is too easy to guess: ${why}; a few uncommon words together make a strong one` }]);
  });

  it('counts a sign-up from an address before judging its password: refused weak passwords count too', async () => {
    const from = clientAddress();
    for (let n = 0; n < 6; n += 1) expect((await signUp(`weak-${randomUUID()}@example.com`, 'password123', 'Robin Rider', from)).data!.signUp.errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT' })]);
    const refused = await signUp(`over-${randomUUID()}@example.com`, STRONG, 'Robin Rider', from);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors![0].message).toMatch(/^at most 6 sign-ups an hour from one address; try again in \d+ s$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('mails one address at most three times an hour, from any client address, taken or free', async () => {
    const email = `flooded-${randomUUID()}@example.com`;
    for (let n = 0; n < 3; n += 1) expect((await signUp(email, STRONG, 'Robin Rider', clientAddress())).data!.signUp.errors).toEqual([]);
    const refused = await signUp(email, STRONG, 'Robin Rider', clientAddress());
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors![0].message).toMatch(/^at most 3 sign-ups an hour with one email address; try again in \d+ s$/);
    expect(mailbox(email)).toHaveLength(3);
  });

  it('takes at most ten codes an hour from a rider, then refuses even the right one', async () => {
    const email = `codes-${randomUUID()}@example.com`;
    const { token } = (await signUp(email, STRONG, 'Robin Rider', clientAddress())).data!.signUp as { token: string };
    const confirm = (code: string) => call('mutation ($c: String!) { confirmEmail(code: $c) { user { emailConfirmed } errors { code } } }', token, { c: code });
    for (let n = 0; n < 10; n += 1) expect((await confirm(`wrong-${n}`)).data!.confirmEmail.errors).toEqual([{ code: 'BAD_USER_INPUT' }]);
    const refused = await confirm(codeIn(mailbox(email)[0]));
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors![0].message).toMatch(/^at most 10 codes an hour; try again in \d+ s$/);
  });

  it('asks the identity provider at most five times an hour for a rider', async () => {
    const email = `checks-${randomUUID()}@example.com`;
    const { token } = (await signUp(email, STRONG, 'Robin Rider', clientAddress())).data!.signUp as { token: string };
    await call('mutation ($c: String!) { confirmEmail(code: $c) { errors { code } } }', token, { c: codeIn(mailbox(email)[0]) });
    const check = () => call('mutation { checkIdentity(document: "sandbox-needs-review") { status errors { code } } }', token);
    for (let n = 0; n < 5; n += 1) expect((await check()).data!.checkIdentity).toEqual({ status: 'IN_REVIEW', errors: [] });
    const refused = await check();
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors![0].message).toMatch(/^at most 5 identity checks an hour; try again in \d+ s$/);
  });

  it('keeps answering other riders while long passwords are judged: the check runs off the event loop', async () => {
    const rider = await newRider(running.clients);
    const { token } = (await graphql(url, 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { apiKey, variables: { e: rider.email, p: rider.password } })).data!.login;
    // Six clients, two 200-character sign-ups each (zxcvbn took 0.4 to 1.4 s of CPU for one of these).
    // On a busy machine the service may answer some "try again" rather than keep them waiting past
    // the gateway's deadline; the app tries again.
    refusals = 0;
    const signUps = Array.from({ length: 6 }, async () => {
      const from = clientAddress();
      const answers = [];
      for (let n = 0; n < 2; n += 1) answers.push(await signUpAsAnApp(`long-${randomUUID()}@example.com`, randomBytes(150).toString('base64'), 'Robin Rider', from));
      return answers;
    });
    const latencies: number[] = [];
    const reading = (async () => {
      for (let n = 0; n < 15; n += 1) {
        const started = performance.now();
        expect((await call('{ me { id } }', token)).data!.me.id).toBe(rider.riderId);
        latencies.push(performance.now() - started);
      }
    })();
    const answers = (await Promise.all(signUps)).flat();
    await reading;
    // A refused or timed-out sign-up shows its GraphQL error here, not a null to read.
    expect(answers.map((answer) => answer.errors ?? answer.data!.signUp.errors)).toEqual(Array.from({ length: 12 }, () => []));
    expect(Math.max(...latencies)).toBeLessThan(750);
    if (refusals > 0) console.log(`sign-up: ${refusals} of the long-password sign-ups were answered "try again" and then taken`);
  });

  it('keeps counting sign-ups across a restart of the user service', async () => {
    const from = clientAddress();
    for (let n = 0; n < 6; n += 1) expect((await signUp(`before-${randomUUID()}@example.com`, STRONG, 'Robin Rider', from)).data!.signUp.errors).toEqual([]);
    await running.stack.restart('user');
    const refused = await signUp(`after-${randomUUID()}@example.com`, STRONG, 'Robin Rider', from);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
  });
});
