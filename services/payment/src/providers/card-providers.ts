// The card processors the payment service can use, by the name PAYMENT_CARD_PROVIDER gives.
import type { CardProvider } from '../domain/card-provider';
import { SandboxCardProvider, type SandboxHoldLog } from './sandbox-card-provider';
import { StripeCardProvider } from './stripe-card-provider';

export interface CardProviderSettings {
  /** Required for stripe (config.ts checks). */
  stripe?: { secretKey: string; apiUrl: string };
}

export const CARD_PROVIDERS = {
  sandbox: (store: SandboxHoldLog): CardProvider => new SandboxCardProvider(store),
  stripe: (_store: SandboxHoldLog, settings: CardProviderSettings): CardProvider => new StripeCardProvider(settings.stripe!),
} as const;

export type CardProviderName = keyof typeof CARD_PROVIDERS;
export const CARD_PROVIDER_NAMES = Object.keys(CARD_PROVIDERS) as [CardProviderName, ...CardProviderName[]];
