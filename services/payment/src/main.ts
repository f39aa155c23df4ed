// Composition root of the payment service: config, store, card provider, ledger, gRPC server.
import '../../platform/src/bootstrap';
import { PaymentServiceService } from '../../platform/src/generated/ecowheels/payment/v1/payment_service';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/service-process';
import { readPaymentConfig } from './config';
import { WalletLedger } from './domain/wallet-ledger';
import { paymentSubgraph } from './graphql/resolvers';
import { paymentHandlers } from './grpc/payment-handlers';
import { SandboxCardProvider } from './providers/sandbox-card-provider';
import { LedgerStoreSql, PAYMENT_MIGRATIONS } from './store/ledger-store';

runService('payment', async () => {
  const config = readPaymentConfig();
  const logger = createLogger('payment');
  const service = await hostService({
    basics: config,
    migrations: PAYMENT_MIGRATIONS,
    logger,
    build: async (db) => {
      const store = new LedgerStoreSql(db);
      const ledger = new WalletLedger(store, new SandboxCardProvider(store), config.ledger);
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
  });
  return { service, logger };
});
