// Composition root of the payment service: config, logger, and the service hosted as a process.
import '../../platform/src/bootstrap';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readPaymentConfig } from './config';
import { paymentService } from './payment-service';

runService('payment', async () => {
  const config = readPaymentConfig();
  const logger = createLogger('payment');
  if (config.sandboxWarning) logger.warn(config.sandboxWarning);
  return { service: await hostService({ basics: config, logger, ...paymentService(config) }), logger };
});
