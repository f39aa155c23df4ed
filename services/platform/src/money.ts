// Money is integer minor units plus an ISO 4217 currency, never a float.

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
