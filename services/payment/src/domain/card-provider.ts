// What the wallet needs from a card processor. A real processor plugs in here; the built-in one is
// the sandbox (providers/sandbox-card-provider.ts), which behaves like a processor's test mode.
import { z } from 'zod';
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

/**
 * The one rule for card numbers, for every door and every provider: 12 to 19 digits with a correct
 * check digit, once the spaces and dashes people type are taken out.
 */
export const cardNumberField = z
  .string()
  .transform((number) => number.replace(/[\s-]/g, ''))
  .refine(isCardNumber, 'is not a valid card number (12 to 19 digits with a correct check digit)');

export function isCardNumber(cardNumber: string): boolean {
  return /^\d{12,19}$/.test(cardNumber) && passesLuhn(cardNumber);
}

/** The Luhn check digit test every card number passes. */
function passesLuhn(cardNumber: string): boolean {
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
