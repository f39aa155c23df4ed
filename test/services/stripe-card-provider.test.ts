// The Stripe card processor adapter (PaymentIntents with manual capture) against a stand-in that
// answers as Stripe's API reference says (test/support/stripe-api.ts), alone and inside the
// payment service: a top-up holds, captures, then credits, once per idempotency key.
import { randomUUID } from 'node:crypto';
import { RIDER_ID_HEADER } from '../../services/platform/src/graphql/subgraph-server';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { StripeCardProvider } from '../../services/payment/src/providers/stripe-card-provider';
import { paymentClient } from '../support/grpc-clients';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { SingleService, testCredentials } from '../support/stack';
import { StripeStandIn } from '../support/stripe-api';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describe('Stripe card processor (PaymentIntents, manual capture)', () => {
  let stripe: StripeStandIn;
  let cards: StripeCardProvider;
  beforeAll(async () => {
    stripe = await StripeStandIn.start();
    cards = new StripeCardProvider({ secretKey: stripe.secretKey, apiUrl: stripe.url });
  });
  afterAll(() => stripe.stop());

  it('holds with a PaymentIntent confirmed at creation for manual capture, then captures it, each step under its own idempotency key', async () => {
    const key = randomUUID();
    const hold = await cards.hold({ card: { paymentMethod: 'pm_card_visa' }, amount: eur(2000), idempotencyKey: key });
    expect(hold).toEqual({ reference: expect.stringMatching(/^pi_/), cardLast4: '4242' });
    expect(stripe.intents.get(hold.reference)).toMatchObject({ status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
    const [create] = stripe.calls('create').slice(-1);
    expect(create).toMatchObject({ idempotencyKey: `${key}:hold`, form: { amount: '2000', currency: 'eur', payment_method: 'pm_card_visa', capture_method: 'manual', confirm: 'true', 'metadata[top_up_key]': key } });
    await cards.capture(hold.reference, key);
    expect(stripe.calls('capture').slice(-1)[0]).toMatchObject({ path: `/v1/payment_intents/${hold.reference}/capture`, idempotencyKey: `${key}:capture` });
    expect(stripe.intents.get(hold.reference)).toMatchObject({ status: 'succeeded', amount_received: 2000 });
  });

  it('answers a retried hold and capture with the first ones: one PaymentIntent, charged once', async () => {
    const key = randomUUID();
    const before = stripe.intents.size;
    const first = await cards.hold({ card: { paymentMethod: 'pm_card_visa' }, amount: eur(1500), idempotencyKey: key });
    const again = await cards.hold({ card: { paymentMethod: 'pm_card_visa' }, amount: eur(1500), idempotencyKey: key });
    await cards.capture(first.reference, key);
    await cards.capture(first.reference, key);
    expect(again.reference).toBe(first.reference);
    expect(stripe.intents.size).toBe(before + 1);
    expect(stripe.intents.get(first.reference)).toMatchObject({ status: 'succeeded', amount_received: 1500 });
  });

  it('retries a Stripe fault with the same key, and answers UNAVAILABLE once retries run out', async () => {
    const key = randomUUID();
    stripe.failNext = 1;
    const hold = await cards.hold({ card: { paymentMethod: 'pm_card_visa' }, amount: eur(700), idempotencyKey: key });
    expect(stripe.calls('create').slice(-2).map((call) => call.idempotencyKey)).toEqual([`${key}:hold`, `${key}:hold`]);
    stripe.failNext = 3;
    await expect(cards.capture(hold.reference, key)).rejects.toMatchObject({ kind: 'UNAVAILABLE', message: 'the card processor is unavailable just now; retry the top-up with the same idempotency key' });
    await cards.capture(hold.reference, key);
    expect(stripe.intents.get(hold.reference)).toMatchObject({ status: 'succeeded', amount_received: 700 });
  });

  it.each([
    ['pm_card_chargeDeclined', 'card declined: Your card was declined.; use another card'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card declined: Your card has insufficient funds.; use another card'],
  ])('answers a decline (%s) with FAILED_PRECONDITION', async (paymentMethod, message) => {
    await expect(cards.hold({ card: { paymentMethod }, amount: eur(500), idempotencyKey: randomUUID() })).rejects.toMatchObject({ kind: 'FAILED_PRECONDITION', message });
  });

  it('releases (cancels) a hold that needs the rider\'s bank confirmation, which a top-up cannot ask for', async () => {
    const key = randomUUID();
    await expect(cards.hold({ card: { paymentMethod: 'pm_card_authenticationRequired' }, amount: eur(500), idempotencyKey: key })).rejects.toMatchObject({
      kind: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/3-D Secure/),
    });
    const [cancel] = stripe.calls('cancel').slice(-1);
    expect(cancel).toMatchObject({ idempotencyKey: `${key}:release`, form: { cancellation_reason: 'abandoned' } });
    expect(stripe.intents.get(cancel.path.split('/')[3])).toMatchObject({ status: 'canceled' });
  });

  it('never sends a card number to Stripe, and refuses a payment method Stripe does not know', async () => {
    const calls = stripe.requests.length;
    await expect(cards.hold({ card: { number: '4242424242424242' }, amount: eur(500), idempotencyKey: randomUUID() })).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT' });
    expect(stripe.requests.length).toBe(calls);
    await expect(cards.hold({ card: { paymentMethod: 'pm_unknown' }, amount: eur(500), idempotencyKey: randomUUID() })).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
      message: 'payment_method is not a card that Stripe knows; add the card in the app again',
    });
  });
});

describeWithPostgres('the payment service on Stripe', () => {
  let stripe: StripeStandIn;
  let running: SingleService;
  beforeAll(async () => {
    stripe = await StripeStandIn.start();
    running = await SingleService.start('payment', { PAYMENT_CARD_PROVIDER: 'stripe', PAYMENT_STRIPE_SECRET_KEY: stripe.secretKey, PAYMENT_STRIPE_API_URL: stripe.url });
  });
  afterAll(async () => {
    await running?.stop();
    await stripe?.stop();
  });

  const topUp = (riderId: string, variables: Record<string, unknown>) =>
    graphql(
      running.process.graphqlUrl,
      'mutation ($a: Int!, $c: String, $p: String, $k: String!) { topUpWallet(amountMinor: $a, cardNumber: $c, paymentMethod: $p, idempotencyKey: $k) { wallet { available { amountMinor } } errors { code message } } }',
      { variables, headers: { [RIDER_ID_HEADER]: riderId }, dispatcher: httpDispatcher(testCredentials('gateway')) },
    );

  it('credits the wallet once for a top-up retried with its key, after one hold and one capture', async () => {
    const riderId = randomUUID();
    const key = randomUUID();
    const creates = stripe.calls('create').length;
    for (let n = 0; n < 3; n += 1) {
      expect((await topUp(riderId, { a: 2500, p: 'pm_card_visa', k: key })).data!.topUpWallet).toEqual({ wallet: { available: { amountMinor: 2500 } }, errors: [] });
    }
    expect(stripe.calls('create').length).toBe(creates + 1);
    const [intent] = [...stripe.intents.values()].filter((found) => found.metadata.top_up_key === key);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 2500 });
    const payment = paymentClient(running.address, running.credentials);
    const { entries } = await payment.listLedgerEntries({ riderId, pageSize: 10, pageToken: '' });
    payment.close();
    expect(entries.map((entry) => [entry.description, entry.availableDelta?.amountMinor])).toEqual([['Top-up by card ending 4242', 2500]]);
  });

  it('leaves the wallet as it was when the card is declined, and refuses a card number', async () => {
    const riderId = randomUUID();
    expect((await topUp(riderId, { a: 2500, p: 'pm_card_chargeDeclined', k: randomUUID() })).data!.topUpWallet).toEqual({
      wallet: null,
      errors: [{ code: 'FAILED_PRECONDITION', message: 'card declined: Your card was declined.; use another card' }],
    });
    expect((await topUp(riderId, { a: 2500, c: '4242 4242 4242 4242', k: randomUUID() })).data!.topUpWallet.errors).toEqual([
      { code: 'BAD_USER_INPUT', message: expect.stringMatching(/^payment_method is required/) },
    ]);
    expect((await topUp(riderId, { a: 2500, k: randomUUID() })).data!.topUpWallet.errors).toEqual([{ code: 'BAD_USER_INPUT', message: expect.stringMatching(/^give the card as its number/) }]);
    expect(await running.db.query('SELECT 1 FROM ledger_entries WHERE rider_id = $1', [riderId])).toEqual([]);
  });
});
