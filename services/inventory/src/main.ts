// Composition root of the inventory service: config, logger, and the service hosted as a process.
import '../../platform/src/bootstrap';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readInventoryConfig } from './config';
import { inventoryService } from './inventory-service';

runService('inventory', async () => {
  const config = readInventoryConfig();
  const logger = createLogger('inventory');
  return { service: await hostService({ basics: config, logger, ...inventoryService(config) }), logger };
});
