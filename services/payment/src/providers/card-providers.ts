// The card processors the payment service can use, by the name PAYMENT_CARD_PROVIDER gives. A
// real processor adds its adapter here, beside the sandbox.
import type { CardProvider } from '../domain/card-provider';
import { SandboxCardProvider, type SandboxChargeLog } from './sandbox-card-provider';

export const CARD_PROVIDERS = {
  sandbox: (store: SandboxChargeLog): CardProvider => new SandboxCardProvider(store),
} as const;

export type CardProviderName = keyof typeof CARD_PROVIDERS;
export const CARD_PROVIDER_NAMES = Object.keys(CARD_PROVIDERS) as [CardProviderName, ...CardProviderName[]];
