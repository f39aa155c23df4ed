// Composition root of the ride service: config, logger, and the service hosted as a process.
import '../../platform/src/bootstrap';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readRideConfig } from './config';
import { rideService } from './ride-service';

runService('ride', async () => {
  const config = readRideConfig();
  const logger = createLogger('ride');
  return { service: await hostService({ basics: config, logger, ...rideService(config, logger) }), logger };
});
