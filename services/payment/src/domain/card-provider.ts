// What the wallet needs from a card processor. A real processor plugs in here; the built-in one is
// the sandbox (providers/sandbox-card-provider.ts), which behaves like a processor's test mode.
import type { Money } from '../../../platform/src/money';

export interface CardChargeRequest {
  cardNumber: string;
  amount: Money;
  /** Passed through to the processor, so a retried top-up is charged once. */
  idempotencyKey: string;
}

export interface CardCharge {
  /** The processor's id for the charge. */
  reference: string;
  cardLast4: string;
}

/**
 * Charges a card. Resolves with the charge, or rejects with a DomainError: FAILED_PRECONDITION for a
 * decline (the rider must use another card), UNAVAILABLE for a processor fault (retry later).
 */
export interface CardProvider {
  charge(request: CardChargeRequest): Promise<CardCharge>;
}

/** The Luhn check digit test every card number passes. */
export function passesLuhn(cardNumber: string): boolean {
  let sum = 0;
  for (let i = 0; i < cardNumber.length; i += 1) {
    let digit = Number(cardNumber[cardNumber.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
