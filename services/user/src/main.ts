// Composition root of the user service: config, logger, and the service hosted as a process.
import '../../platform/src/bootstrap';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readUserConfig } from './config';
import { userService } from './user-service';

runService('user', async () => {
  const config = readUserConfig();
  const logger = createLogger('user');
  if (config.sandboxWarning) logger.warn(config.sandboxWarning);
  return { service: await hostService({ basics: config, logger, ...userService(config, logger) }), logger };
});
