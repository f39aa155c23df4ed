// The payment service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, readServiceConfig, refuseSandboxesInProduction } from '../../platform/src/config';
import { currencyField } from '../../platform/src/money';
import { CARD_PROVIDER_NAMES } from './providers/card-providers';

export function readPaymentConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'payment',
    DEFAULT_PORTS.payment,
    {
      // Every wallet is kept in this ISO 4217 currency.
      PAYMENT_CURRENCY: currencyField.default('EUR'),
      // The largest single top-up, in minor units.
      PAYMENT_MAX_TOP_UP_MINOR: z.coerce.number().int().positive().default(50_000),
      // Which card processor charges top-ups: one of CARD_PROVIDERS; the sandbox is refused with NODE_ENV=production.
      PAYMENT_CARD_PROVIDER: z.enum(CARD_PROVIDER_NAMES).default('sandbox'),
    },
    env,
  );
  const sandbox = own.PAYMENT_CARD_PROVIDER === 'sandbox';
  return {
    ...basics,
    sandboxWarning: refuseSandboxesInProduction(
      sandbox ? [{ setting: 'PAYMENT_CARD_PROVIDER=sandbox', risk: 'the sandbox card processor credits wallets from public test card numbers, with money nobody paid; choose a real processor' }] : [],
      env,
    ),
    ledger: { currency: own.PAYMENT_CURRENCY, maxTopUpMinor: own.PAYMENT_MAX_TOP_UP_MINOR },
    cardProvider: own.PAYMENT_CARD_PROVIDER,
  };
}
