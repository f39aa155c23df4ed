// The card processors the payment service can use, by the name PAYMENT_CARD_PROVIDER gives.
import { isOurFault } from '../../../platform/src/errors';
import type { CardProvider } from '../domain/card-provider';
import { SandboxCardProvider, type SandboxHoldLog } from './sandbox-card-provider';

export interface CardProviderSettings {
  /** Required for stripe (config.ts checks). */
  stripe?: { secretKey: string; apiUrl: string };
}

// Each adapter is loaded only when it is the one chosen: Stripe's library alone is about a tenth of
// the payment service's start, which the sandbox (`npm start`, the tests) has no use for.
export const CARD_PROVIDERS = {
  sandbox: (store: SandboxHoldLog): CardProvider => new SandboxCardProvider(store),
  stripe: (_store: SandboxHoldLog, settings: CardProviderSettings): CardProvider =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when this provider is chosen
    new (require('./stripe-card-provider') as typeof import('./stripe-card-provider')).StripeCardProvider(settings.stripe!),
} as const;

/** Stripe's test mode: its keys charge nothing, so in production it is a sandbox like ours. */
export const isStripeTestKey = (secretKey: string) => /^(sk|rk)_test_/.test(secretKey);

export type CardProviderName = keyof typeof CARD_PROVIDERS;

/** A call's outcome: `ok`; `refused` (the card or the request: declined, not found); `error` (the provider failed us). */
export type ProviderOutcome = 'ok' | 'refused' | 'error';

/** The provider, with each call's outcome told to `record` (payment_provider_calls_total, for its alert). */
export function meteredCardProvider(provider: CardProvider, record: (operation: keyof CardProvider, outcome: ProviderOutcome) => void): CardProvider {
  const metered = <A extends unknown[], R>(operation: keyof CardProvider, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await call(...args);
        record(operation, 'ok');
        return result;
      } catch (error) {
        record(operation, isOurFault(error) ? 'error' : 'refused');
        throw error;
      }
    };
  return {
    hold: metered('hold', (request) => provider.hold(request)),
    capture: metered('capture', (reference, key) => provider.capture(reference, key)),
    release: metered('release', (reference, key) => provider.release(reference, key)),
  };
}
export const CARD_PROVIDER_NAMES = Object.keys(CARD_PROVIDERS) as [CardProviderName, ...CardProviderName[]];
