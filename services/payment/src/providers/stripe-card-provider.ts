// Stripe as the card processor, through its PaymentIntents (the official `stripe` library): a hold
// is a PaymentIntent created and confirmed at once with capture_method=manual (status
// requires_capture), a capture is /capture, a release is /cancel. Every request carries an
// Idempotency-Key made from the top-up's key and the step, so a retried top-up replays Stripe's
// first answers instead of holding or charging again; the library retries network faults and 5xx
// with the same key. The app gives the card as the PaymentMethod id Stripe's mobile SDK made
// ("pm_…"): card numbers never reach Stripe through this service.
import Stripe from 'stripe';
import { DomainError, failedPrecondition, invalidArgument } from '../../../platform/src/errors';
import type { CardHold, CardHoldRequest, CardProvider } from '../domain/card-provider';

export interface StripeSettings {
  /** The account's secret key (sk_live_…; sk_test_… is Stripe's test mode, a sandbox). */
  secretKey: string;
  /** Where Stripe's API answers; another URL only for a stand-in (tests). */
  apiUrl: string;
}

const retryLater = 'the card processor is unavailable just now; retry the top-up with the same idempotency key';

export class StripeCardProvider implements CardProvider {
  private readonly stripe: Stripe;

  constructor(settings: StripeSettings) {
    const url = new URL(settings.apiUrl);
    this.stripe = new Stripe(settings.secretKey, {
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      maxNetworkRetries: 2,
      // Under the gateway's subgraph timeout, with the retries.
      timeout: 8000,
      telemetry: false,
    });
  }

  async hold(request: CardHoldRequest): Promise<CardHold> {
    const { card, amount, idempotencyKey } = request;
    if (!('paymentMethod' in card)) {
      throw invalidArgument('payment_method is required: give the PaymentMethod id that the app made with Stripe\'s SDK (pm_…); card numbers are never sent to Stripe');
    }
    const intent = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: amount.amountMinor,
          currency: amount.currency.toLowerCase(),
          payment_method: card.paymentMethod,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          capture_method: 'manual',
          confirm: true,
          description: 'EcoWheels wallet top-up',
          metadata: { top_up_key: idempotencyKey },
          expand: ['payment_method'],
        },
        { idempotencyKey: `${idempotencyKey}:hold` },
      ),
    );
    if (intent.status === 'requires_action') {
      // 3-D Secure and the like need the rider in the app; this top-up cannot finish here.
      await this.release(intent.id, idempotencyKey);
      throw failedPrecondition('the card asks for the rider\'s confirmation with the bank (3-D Secure), which top-ups do not support yet; use another card');
    }
    if (intent.status !== 'requires_capture' && intent.status !== 'succeeded') {
      throw failedPrecondition(`the card was not accepted (${intent.last_payment_error?.message ?? intent.status}); use another card`);
    }
    const method = intent.payment_method as Stripe.PaymentMethod | null;
    return { reference: intent.id, cardLast4: method?.card?.last4 ?? '' };
  }

  async capture(reference: string, idempotencyKey: string): Promise<void> {
    try {
      await this.call(() => this.stripe.paymentIntents.capture(reference, {}, { idempotencyKey: `${idempotencyKey}:capture` }));
    } catch (error) {
      // Captured already (a retry after the first capture's answer was lost): that is success.
      if (!(error instanceof DomainError) || error.kind !== 'FAILED_PRECONDITION') throw error;
      const intent = await this.call(() => this.stripe.paymentIntents.retrieve(reference));
      if (intent.status !== 'succeeded') throw error;
    }
  }

  async release(reference: string, idempotencyKey: string): Promise<void> {
    await this.call(() => this.stripe.paymentIntents.cancel(reference, { cancellation_reason: 'abandoned' }, { idempotencyKey: `${idempotencyKey}:release` }));
  }

  /** Stripe's errors as the domain's: declines to FAILED_PRECONDITION, faults to UNAVAILABLE. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeError)) throw error;
      const options = { cause: error };
      if (error instanceof Stripe.errors.StripeCardError) {
        throw new DomainError('FAILED_PRECONDITION', `card declined: ${error.message}; use another card`, options);
      }
      if (error instanceof Stripe.errors.StripeIdempotencyError) {
        throw new DomainError('INVALID_ARGUMENT', 'idempotency_key was already used for a different top-up; use a new key', options);
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        if (error.code === 'payment_intent_unexpected_state') throw new DomainError('FAILED_PRECONDITION', 'the card payment is no longer open; start a new top-up', options);
        if (error.param === 'payment_method') throw new DomainError('INVALID_ARGUMENT', 'payment_method is not a card that Stripe knows; add the card in the app again', options);
      }
      // Our credentials, Stripe's faults, the network, a rate limit: nothing the rider can fix.
      throw new DomainError('UNAVAILABLE', retryLater, options);
    }
  }
}

