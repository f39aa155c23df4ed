// What the wallet needs from a card processor: a hold on the card (an authorisation: nothing is
// charged yet), its capture, and its release. A top-up holds, captures, then credits the wallet;
// each step is idempotent on the top-up's key, so a retry after any crash charges once and credits
// once. The built-in processor is the sandbox (providers/sandbox-card-provider.ts), which behaves
// like a processor's test mode; providers/stripe-card-provider.ts is Stripe's PaymentIntents.
import { z } from 'zod';
import { invalidArgument } from '../../../platform/src/errors';
import type { Money } from '../../../platform/src/money';

/** The card as the app gives it: its number (the sandbox), or the processor's id for it (Stripe's SDK makes one). */
export type PaymentCard = { number: string } | { paymentMethod: string };

export interface CardHoldRequest {
  card: PaymentCard;
  amount: Money;
  /** The top-up's key: passed on to the processor, so a retried top-up holds and captures once. */
  idempotencyKey: string;
}

export interface CardHold {
  /** The processor's id for the hold (and the charge it becomes). */
  reference: string;
  cardLast4: string;
}

/**
 * A card processor. Each call rejects with a DomainError: INVALID_ARGUMENT for a card it cannot
 * take, FAILED_PRECONDITION for a decline (the rider must use another card), UNAVAILABLE for a
 * processor fault (retry with the same key).
 */
export interface CardProvider {
  /** Holds the amount on the card. Idempotent on the key: a retry answers the same hold. */
  hold(request: CardHoldRequest): Promise<CardHold>;
  /** Charges the held amount. Idempotent: capturing a captured hold succeeds again. */
  capture(reference: string, idempotencyKey: string): Promise<void>;
  /** Gives a hold back without charging it. Idempotent. */
  release(reference: string, idempotencyKey: string): Promise<void>;
}

/** The card's part of a request's fingerprint: enough to tell two cards apart, never the number. */
export const cardFingerprint = (card: PaymentCard) => ('number' in card ? `card-${card.number.slice(-4)}` : card.paymentMethod);

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

/** A processor's id for a card the app registered with it (Stripe: "pm_…"). */
export const paymentMethodField = z.string().regex(/^[A-Za-z0-9_]{3,100}$/, 'must be the processor\'s payment method id, as pm_1NxYz…');

/** What the doors read for the card: its number or a payment method id, one of the two ('' is unset). */
export const cardFields = {
  cardNumber: z.string().transform((value) => value || undefined).pipe(cardNumberField.optional()).optional(),
  paymentMethod: z.string().transform((value) => value || undefined).pipe(paymentMethodField.optional()).optional(),
};

export function paymentCard(input: { cardNumber?: string; paymentMethod?: string }): PaymentCard {
  if (input.cardNumber && !input.paymentMethod) return { number: input.cardNumber };
  if (input.paymentMethod && !input.cardNumber) return { paymentMethod: input.paymentMethod };
  throw invalidArgument('give the card as its number (card_number, the sandbox) or as the processor\'s payment method id (payment_method), one of the two');
}
