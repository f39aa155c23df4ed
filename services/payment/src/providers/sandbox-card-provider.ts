// The built-in card provider: a sandbox that answers like a card processor's test mode. Only the
// documented test numbers below are accepted; no money moves anywhere. Like a real processor it
// remembers charges by idempotency key, so a retried top-up is charged once.
import { randomUUID } from 'node:crypto';
import { failedPrecondition, invalidArgument, unavailable } from '../../../platform/src/errors';
import { isCardNumber, type CardCharge, type CardChargeRequest, type CardProvider } from '../domain/card-provider';

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

export interface SandboxChargeLog {
  findCharge(idempotencyKey: string): Promise<CardCharge | undefined>;
  saveCharge(idempotencyKey: string, charge: CardCharge, request: CardChargeRequest): Promise<CardCharge>;
}

export class SandboxCardProvider implements CardProvider {
  constructor(private readonly log: SandboxChargeLog) {}

  async charge(request: CardChargeRequest): Promise<CardCharge> {
    const { cardNumber } = request;
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
    const earlier = await this.log.findCharge(request.idempotencyKey);
    if (earlier) return earlier;
    return this.log.saveCharge(
      request.idempotencyKey,
      { reference: `sandbox_ch_${randomUUID()}`, cardLast4: cardNumber.slice(-4) },
      request,
    );
  }
}
