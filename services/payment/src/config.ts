// The payment service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, readServiceConfig } from '../../platform/src/config';

export function readPaymentConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'payment',
    DEFAULT_PORTS.payment,
    {
      // Every wallet is kept in this ISO 4217 currency.
      PAYMENT_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').default('EUR'),
      // The largest single top-up, in minor units.
      PAYMENT_MAX_TOP_UP_MINOR: z.coerce.number().int().positive().default(50_000),
      // Only "sandbox" exists so far; a real processor adds its own name here.
      PAYMENT_CARD_PROVIDER: z.enum(['sandbox']).default('sandbox'),
    },
    env,
  );
  return {
    ...basics,
    ledger: { currency: own.PAYMENT_CURRENCY, maxTopUpMinor: own.PAYMENT_MAX_TOP_UP_MINOR },
    cardProvider: own.PAYMENT_CARD_PROVIDER,
  };
}
