// The payment service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { ConfigError, DEFAULT_PORTS, readServiceConfig, refuseSandboxesInProduction, type SandboxInUse } from '../../platform/src/config';
import { currencyField } from '../../platform/src/money';
import { CARD_PROVIDER_NAMES, isStripeTestKey } from './providers/card-providers';

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
      // Stripe's secret key and API (another URL only for a stand-in, in tests).
      PAYMENT_STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(live|test)_\w+$/, 'must be a Stripe secret or restricted key (sk_live_…)').optional(),
      PAYMENT_STRIPE_API_URL: z.url({ error: 'must be an http(s) URL' }).default('https://api.stripe.com'),
    },
    env,
  );
  const stripeKey = own.PAYMENT_STRIPE_SECRET_KEY;
  if (own.PAYMENT_CARD_PROVIDER === 'stripe' && !stripeKey) {
    throw new ConfigError('invalid configuration:\n  PAYMENT_STRIPE_SECRET_KEY: is required with PAYMENT_CARD_PROVIDER=stripe (the account\'s sk_live_… key)');
  }
  const sandboxes: SandboxInUse[] = [];
  if (own.PAYMENT_CARD_PROVIDER === 'sandbox') {
    sandboxes.push({ setting: 'PAYMENT_CARD_PROVIDER=sandbox', risk: 'the sandbox card processor credits wallets from public test card numbers, with money nobody paid; choose PAYMENT_CARD_PROVIDER=stripe' });
  } else if (stripeKey && isStripeTestKey(stripeKey)) {
    sandboxes.push({ setting: 'PAYMENT_STRIPE_SECRET_KEY=sk_test_…', risk: 'a Stripe test-mode key credits wallets from Stripe\'s test cards, with money nobody paid; use the live key (sk_live_…)' });
  }
  return {
    ...basics,
    sandboxWarning: refuseSandboxesInProduction(sandboxes, env),
    ledger: { currency: own.PAYMENT_CURRENCY, maxTopUpMinor: own.PAYMENT_MAX_TOP_UP_MINOR },
    cardProvider: own.PAYMENT_CARD_PROVIDER,
    cards: { stripe: stripeKey ? { secretKey: stripeKey, apiUrl: own.PAYMENT_STRIPE_API_URL } : undefined },
  };
}
