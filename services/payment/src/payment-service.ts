// The payment service's parts: ledger, card provider, and what serves them.
import { PaymentServiceService, type PaymentServiceServer } from '../../platform/src/generated/ecowheels/payment/v1/payment_service';
import type { ServiceRecipe } from '../../platform/src/service-host';
import type { readPaymentConfig } from './config';
import { WalletLedger } from './domain/wallet-ledger';
import { paymentSubgraph } from './graphql/resolvers';
import { paymentHandlers } from './grpc/payment-handlers';
import { CARD_PROVIDERS, meteredCardProvider } from './providers/card-providers';
import { LedgerStoreSql, PAYMENT_MIGRATIONS } from './store/ledger-store';
import { lazyCounter } from '../../platform/src/telemetry/tracing';

/** payment_provider_calls_total{provider, operation, outcome}: the card processor's errors, for their alert. */
const recordProviderCall = lazyCounter('payment.provider.calls', "Calls to the card processor by operation and outcome (ok, refused: the card's answer, error: the processor failed)");

export function paymentService(config: ReturnType<typeof readPaymentConfig>): ServiceRecipe<PaymentServiceServer> {
  return {
    migrations: PAYMENT_MIGRATIONS,
    build: async (db) => {
      const store = new LedgerStoreSql(db);
      const cards = meteredCardProvider(CARD_PROVIDERS[config.cardProvider](store, config.cards), (operation, outcome) =>
        recordProviderCall(1, { provider: config.cardProvider, operation, outcome }),
      );
      const ledger = new WalletLedger(store, cards, config.ledger);
      return {
        grpc: {
          definition: PaymentServiceService,
          name: 'ecowheels.payment.v1.PaymentService',
          protoFile: 'ecowheels/payment/v1/payment_service.proto',
          handlers: paymentHandlers(ledger),
        },
        graphql: paymentSubgraph(ledger),
      };
    },
  };
}
