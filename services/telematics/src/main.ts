// Composition root of the telematics service: config, logger, and the service hosted as a process.
import '../../platform/src/bootstrap';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readTelematicsConfig } from './config';
import { telematicsService } from './telematics-service';

runService('telematics', async () => {
  const config = readTelematicsConfig();
  const logger = createLogger('telematics');
  return { service: await hostService({ basics: config, logger, ...telematicsService(config, logger) }), logger };
});
