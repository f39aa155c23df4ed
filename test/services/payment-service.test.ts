// Contract of PaymentService: every RPC's success path and its error statuses, against the real
// service process on a PostgreSQL database, with the ledger checked against the wallet totals.
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import {
  HoldStatus,
  LedgerEntryKind,
  type PaymentServiceClient,
} from '../../services/platform/src/generated/ecowheels/payment/v1/payment_service';
import { expectStatus, paymentClient, type TestClient } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { SingleService } from '../support/stack';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describeWithPostgres('PaymentService contract', () => {
  let running: SingleService;
  let payment: TestClient<PaymentServiceClient>;

  beforeAll(async () => {
    running = await SingleService.start('payment');
    payment = paymentClient(running.address, running.credentials);
  });
  afterAll(async () => {
    payment?.close();
    await running?.stop();
  });

  const topUp = (riderId: string, amountMinor: number, cardNumber = '4242424242424242', idempotencyKey = randomUUID()) =>
    payment.topUpWallet({ riderId, amount: eur(amountMinor), cardNumber, idempotencyKey });

  const fundedRider = async (amountMinor = 1000) => {
    const riderId = randomUUID();
    await topUp(riderId, amountMinor);
    return riderId;
  };

  /** The wallet row must always equal the sum of its ledger. */
  const expectLedgerBalanced = async (riderId: string) => {
    const [sums] = await running.db.query<{ available: string; held: string }>(
      `SELECT COALESCE(SUM(available_delta_minor), 0) AS available, COALESCE(SUM(held_delta_minor), 0) AS held
       FROM ledger_entries WHERE rider_id = $1`,
      [riderId],
    );
    const { wallet } = await payment.getWallet({ riderId });
    expect({ available: Number(sums.available), held: Number(sums.held) }).toEqual({
      available: wallet!.available!.amountMinor,
      held: wallet!.held!.amountMinor,
    });
  };

  describe('GetWallet and TopUpWallet', () => {
    it('shows an empty wallet for a rider who never paid', async () => {
      const { wallet } = await payment.getWallet({ riderId: randomUUID() });
      expect(wallet).toMatchObject({ available: eur(0), held: eur(0) });
    });

    it('credits a top-up with a test card and writes a ledger line', async () => {
      const riderId = randomUUID();
      const result = await topUp(riderId, 1500);
      expect(result.wallet).toMatchObject({ available: eur(1500), held: eur(0) });
      expect(result.entry).toMatchObject({ kind: LedgerEntryKind.LEDGER_ENTRY_KIND_TOP_UP, availableDelta: eur(1500) });
      expect(result.providerReference).toMatch(/^sandbox_ch_/);
      await expectLedgerBalanced(riderId);
    });

    it('credits a retried top-up once, and charges the card once', async () => {
      const riderId = randomUUID();
      const key = randomUUID();
      const [first, second] = await Promise.all([topUp(riderId, 700, undefined, key), topUp(riderId, 700, undefined, key)]);
      const third = await topUp(riderId, 700, undefined, key);
      expect(second.entry!.id).toBe(first.entry!.id);
      expect(third.providerReference).toBe(first.providerReference);
      expect((await payment.getWallet({ riderId })).wallet!.available).toEqual(eur(700));
      expect(await running.db.query('SELECT * FROM sandbox_card_charges WHERE idempotency_key = $1', [key])).toHaveLength(1);
    });

    it('refuses the same key for a different top-up with INVALID_ARGUMENT', async () => {
      const riderId = randomUUID();
      const key = randomUUID();
      await topUp(riderId, 500, undefined, key);
      await expectStatus(topUp(riderId, 900, undefined, key), status.INVALID_ARGUMENT, /already used for a different request/);
    });

    it.each([
      ['4000000000000002', status.FAILED_PRECONDITION, /declined by the issuer/],
      ['4000000000009995', status.FAILED_PRECONDITION, /insufficient funds on the card/],
      ['4000000000000069', status.FAILED_PRECONDITION, /expired/],
      ['4000000000000119', status.UNAVAILABLE, /temporary error/],
      ['4000000000000010', status.FAILED_PRECONDITION, /accepts only its test card numbers/],
      ['4242424242424241', status.INVALID_ARGUMENT, /not a valid card number/],
    ])('answers card %s with %s and leaves the wallet unchanged', async (card, code, message) => {
      const riderId = randomUUID();
      await expectStatus(topUp(riderId, 500, card), code, message);
      expect((await payment.getWallet({ riderId })).wallet!.available).toEqual(eur(0));
    });

    it('refuses a zero, negative, oversized or foreign-currency amount', async () => {
      const riderId = randomUUID();
      await expectStatus(topUp(riderId, 0), status.INVALID_ARGUMENT, /more than zero/);
      await expectStatus(topUp(riderId, -100), status.INVALID_ARGUMENT, /more than zero/);
      await expectStatus(topUp(riderId, 50_001), status.INVALID_ARGUMENT, /at most 500.00 EUR/);
      await expectStatus(
        payment.topUpWallet({ riderId, amount: { amountMinor: 100, currency: 'USD' }, cardNumber: '4242424242424242', idempotencyKey: randomUUID() }),
        status.INVALID_ARGUMENT,
        /kept in EUR, not USD/,
      );
      await expectStatus(
        payment.topUpWallet({ riderId, amount: eur(100), cardNumber: '4242424242424242', idempotencyKey: 'short' }),
        status.INVALID_ARGUMENT,
        /idempotency_key: must be 8 to 200 characters/,
      );
    });
  });

  describe('Authorize, Capture and Void', () => {
    it('holds money, captures the fare and gives back the rest', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      const held = await payment.authorize({ riderId, amount: eur(850), holdKey, description: 'ride' });
      expect(held.hold!.status).toBe(HoldStatus.HOLD_STATUS_AUTHORIZED);
      expect(held.wallet).toMatchObject({ available: eur(150), held: eur(850) });
      const captured = await payment.capture({ holdKey, amount: eur(300) });
      expect(captured.hold).toMatchObject({ status: HoldStatus.HOLD_STATUS_CAPTURED, captured: eur(300) });
      expect(captured.wallet).toMatchObject({ available: eur(700), held: eur(0) });
      await expectLedgerBalanced(riderId);
    });

    it('captures more than the hold from the available balance, even below zero', async () => {
      const riderId = await fundedRider(500);
      const holdKey = `ride:${randomUUID()}`;
      await payment.authorize({ riderId, amount: eur(400), holdKey, description: 'ride' });
      const captured = await payment.capture({ holdKey, amount: eur(650) });
      expect(captured.wallet).toMatchObject({ available: eur(-150), held: eur(0) });
      await expectLedgerBalanced(riderId);
    });

    it('holds once however often an authorization is retried', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      await Promise.all([1, 2, 3].map(() => payment.authorize({ riderId, amount: eur(600), holdKey, description: 'ride' })));
      expect((await payment.getWallet({ riderId })).wallet).toMatchObject({ available: eur(400), held: eur(600) });
      await expectStatus(
        payment.authorize({ riderId, amount: eur(601), holdKey, description: 'ride' }),
        status.INVALID_ARGUMENT,
        /different rider or amount/,
      );
    });

    it('refuses a hold the funds do not cover, saying how much is there and is needed', async () => {
      const riderId = await fundedRider(300);
      await expectStatus(
        payment.authorize({ riderId, amount: eur(850), holdKey: `ride:${randomUUID()}`, description: 'ride' }),
        status.FAILED_PRECONDITION,
        /insufficient funds: 3.00 EUR available, 8.50 EUR needed/,
      );
      await expectLedgerBalanced(riderId);
    });

    it('captures once: a repeat answers the same, a different amount is refused', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      await payment.authorize({ riderId, amount: eur(500), holdKey, description: 'ride' });
      await payment.capture({ holdKey, amount: eur(200) });
      const again = await payment.capture({ holdKey, amount: eur(200) });
      expect(again.wallet!.available).toEqual(eur(800));
      await expectStatus(payment.capture({ holdKey, amount: eur(300) }), status.FAILED_PRECONDITION, /already captured for 2.00 EUR/);
      await expectStatus(payment.void({ holdKey, riderId }), status.FAILED_PRECONDITION, /refund it instead/);
    });

    it('voids a hold once, giving the money back', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      await payment.authorize({ riderId, amount: eur(500), holdKey, description: 'ride' });
      const voided = await payment.void({ holdKey, riderId });
      expect(voided.hold!.status).toBe(HoldStatus.HOLD_STATUS_VOIDED);
      expect((await payment.void({ holdKey, riderId })).wallet).toMatchObject({ available: eur(1000), held: eur(0) });
      await expectStatus(payment.capture({ holdKey, amount: eur(100) }), status.FAILED_PRECONDITION, /was voided/);
      await expectLedgerBalanced(riderId);
    });

    it('records a void that comes before its authorization, and then refuses the late authorization', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      expect((await payment.void({ holdKey, riderId })).hold!.status).toBe(HoldStatus.HOLD_STATUS_VOIDED);
      await expectStatus(payment.authorize({ riderId, amount: eur(500), holdKey, description: 'late' }), status.FAILED_PRECONDITION, /was voided/);
      expect((await payment.getWallet({ riderId })).wallet).toMatchObject({ available: eur(1000), held: eur(0) });
    });

    it('answers NOT_FOUND for capturing an unknown hold, INVALID_ARGUMENT for voiding one without a rider', async () => {
      await expectStatus(payment.capture({ holdKey: 'ride:unknown-hold', amount: eur(100) }), status.NOT_FOUND, /does not exist/);
      await expectStatus(payment.void({ holdKey: 'ride:unknown-hold', riderId: '' }), status.INVALID_ARGUMENT, /pass rider_id/);
    });
  });

  describe('Refund, BatchGetHolds and ListLedgerEntries', () => {
    it('refunds part of a capture once per key, never more than was captured', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      await payment.authorize({ riderId, amount: eur(500), holdKey, description: 'ride' });
      await payment.capture({ holdKey, amount: eur(400) });
      const key = randomUUID();
      const refund = await payment.refund({ holdKey, amount: eur(150), idempotencyKey: key, reason: 'brake fault' });
      expect(refund.hold!.refunded).toEqual(eur(150));
      expect(refund.entry!.kind).toBe(LedgerEntryKind.LEDGER_ENTRY_KIND_REFUND);
      await payment.refund({ holdKey, amount: eur(150), idempotencyKey: key, reason: 'brake fault' });
      expect((await payment.getWallet({ riderId })).wallet!.available).toEqual(eur(750));
      await expectStatus(
        payment.refund({ holdKey, amount: eur(300), idempotencyKey: randomUUID(), reason: 'again' }),
        status.FAILED_PRECONDITION,
        /at most 2.50 EUR/,
      );
      await expectLedgerBalanced(riderId);
    });

    it('refuses to refund a hold that was not captured', async () => {
      const riderId = await fundedRider(1000);
      const holdKey = `ride:${randomUUID()}`;
      await payment.authorize({ riderId, amount: eur(500), holdKey, description: 'ride' });
      await expectStatus(
        payment.refund({ holdKey, amount: eur(100), idempotencyKey: randomUUID(), reason: 'x' }),
        status.FAILED_PRECONDITION,
        /void it instead/,
      );
    });

    it('reads holds by key in one call', async () => {
      const riderId = await fundedRider(1000);
      const keys = [`ride:${randomUUID()}`, `ride:${randomUUID()}`];
      for (const holdKey of keys) await payment.authorize({ riderId, amount: eur(100), holdKey, description: 'ride' });
      const { holds } = await payment.batchGetHolds({ holdKeys: [...keys, 'ride:unknown-hold'] });
      expect(holds.map((hold) => hold.holdKey).sort()).toEqual([...keys].sort());
    });

    it('pages through the ledger newest first', async () => {
      const riderId = await fundedRider(100);
      await topUp(riderId, 200);
      await topUp(riderId, 300);
      const first = await payment.listLedgerEntries({ riderId, pageSize: 2, pageToken: '' });
      expect(first.entries.map((entry) => entry.availableDelta!.amountMinor)).toEqual([300, 200]);
      const second = await payment.listLedgerEntries({ riderId, pageSize: 2, pageToken: first.nextPageToken });
      expect(second.entries.map((entry) => entry.availableDelta!.amountMinor)).toEqual([100]);
      expect(second.nextPageToken).toBe('');
      await expectStatus(payment.listLedgerEntries({ riderId, pageSize: 101, pageToken: '' }), status.INVALID_ARGUMENT, /page_size/);
    });
  });
});
