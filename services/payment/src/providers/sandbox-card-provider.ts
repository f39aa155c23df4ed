// The built-in card provider: a sandbox that answers like a card processor's test mode. Only the
// documented test numbers below are accepted; no money moves anywhere. Like a real processor it
// keeps each hold by the top-up's key (so a retried top-up holds once), and captures or releases it
// once. With NODE_ENV=production the payment service refuses to start on it (config.ts).
import { randomUUID } from 'node:crypto';
import { failedPrecondition, invalidArgument, notFound, unavailable } from '../../../platform/src/errors';
import { isCardNumber, type CardHold, type CardHoldRequest, type CardProvider } from '../domain/card-provider';

type TestCardOutcome = { result: 'approved' } | { result: 'declined'; reason: string } | { result: 'processor_error' };

/** The test card numbers, as documented in the README. */
export const SANDBOX_TEST_CARDS: Record<string, TestCardOutcome> = {
  '4242424242424242': { result: 'approved' },
  '5555555555554444': { result: 'approved' },
  '4000000000000002': { result: 'declined', reason: 'card declined by the issuer' },
  '4000000000009995': { result: 'declined', reason: 'card declined: insufficient funds on the card' },
  '4000000000000069': { result: 'declined', reason: 'card declined: the card has expired' },
  '4000000000000119': { result: 'processor_error' },
};

export type SandboxHoldStatus = 'HELD' | 'CAPTURED' | 'RELEASED';

export interface SandboxHoldLog {
  findCardHold(idempotencyKey: string): Promise<CardHold | undefined>;
  /** Keeps a new hold; two at once with one key: the first written wins, and both answer with it. */
  saveCardHold(idempotencyKey: string, hold: CardHold, request: CardHoldRequest): Promise<CardHold>;
  /** Moves a hold from HELD to `to` (or keeps it at `to`); answers its status after, undefined when unknown. */
  settleCardHold(reference: string, to: 'CAPTURED' | 'RELEASED'): Promise<SandboxHoldStatus | undefined>;
}

export class SandboxCardProvider implements CardProvider {
  constructor(private readonly log: SandboxHoldLog) {}

  async hold(request: CardHoldRequest): Promise<CardHold> {
    if (!('number' in request.card)) throw invalidArgument('the sandbox card provider takes test card numbers (card_number), not payment method ids');
    const cardNumber = request.card.number;
    if (!isCardNumber(cardNumber)) {
      throw invalidArgument('card_number is not a valid card number (12 to 19 digits with a correct check digit)');
    }
    const outcome = SANDBOX_TEST_CARDS[cardNumber];
    if (!outcome) {
      throw failedPrecondition('the sandbox card provider accepts only its test card numbers (see the README), never real cards');
    }
    if (outcome.result === 'declined') throw failedPrecondition(outcome.reason);
    if (outcome.result === 'processor_error') {
      throw unavailable('the card processor had a temporary error; retry the top-up with the same idempotency key');
    }
    const earlier = await this.log.findCardHold(request.idempotencyKey);
    if (earlier) return earlier;
    return this.log.saveCardHold(request.idempotencyKey, { reference: `sandbox_ch_${randomUUID()}`, cardLast4: cardNumber.slice(-4) }, request);
  }

  async capture(reference: string): Promise<void> {
    await this.settle(reference, 'CAPTURED');
  }

  async release(reference: string): Promise<void> {
    await this.settle(reference, 'RELEASED');
  }

  private async settle(reference: string, to: 'CAPTURED' | 'RELEASED'): Promise<void> {
    const status = await this.log.settleCardHold(reference, to);
    if (!status) throw notFound(`the sandbox has no hold ${reference}`);
    if (status !== to) throw failedPrecondition(`the sandbox hold ${reference} was already ${status.toLowerCase()}`);
  }
}
