// Money is integer minor units plus an ISO 4217 currency, never a float. The currency rule lives
// here, for requests and settings alike.
import { z } from 'zod';

/** An ISO 4217 currency code: three upper-case letters. */
export const currencyField = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

export interface Money {
  amountMinor: number;
  currency: string;
}

/** "12.50 EUR", for messages people read. Assumes two minor digits, as EUR, USD and GBP have. */
export function formatMoney({ amountMinor, currency }: Money): string {
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')} ${currency}`;
}

/** Money as the GraphQL schemas show it: minor units, currency, and a display string. */
export const graphqlMoney = (amountMinor: number, currency: string) => ({
  amountMinor,
  currency,
  formatted: formatMoney({ amountMinor, currency }),
});
