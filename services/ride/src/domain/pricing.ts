// The tariff: an unlock fee plus a rate for each started minute. A ride's tariff is fixed when it
// is requested, so a price change never reprices a ride in progress.
import type { Money } from '../../../platform/src/money';

export interface Pricing {
  currency: string;
  unlockFeeMinor: number;
  perMinuteMinor: number;
  /** The hold at start covers the unlock fee plus this many minutes. */
  holdMinutes: number;
}

/** Minutes started between two instants: 0 s is 0, 1 s to 60 s is 1, 61 s is 2. */
export function startedMinutes(start: Date, end: Date): number {
  const milliseconds = Math.max(0, end.getTime() - start.getTime());
  return Math.ceil(milliseconds / 60_000);
}

export function fare(pricing: Pricing, start: Date, end: Date): Money {
  return {
    amountMinor: pricing.unlockFeeMinor + pricing.perMinuteMinor * startedMinutes(start, end),
    currency: pricing.currency,
  };
}

export function holdAmount(pricing: Pricing): Money {
  return { amountMinor: pricing.unlockFeeMinor + pricing.perMinuteMinor * pricing.holdMinutes, currency: pricing.currency };
}
