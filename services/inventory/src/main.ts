// Composition root of the inventory service: config, store, domain, gRPC server. Nothing else.
import '../../platform/src/bootstrap';
import { InventoryServiceService } from '../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/service-process';
import { readInventoryConfig } from './config';
import { Fleet } from './domain/fleet';
import { inventorySubgraph } from './graphql/resolvers';
import { inventoryHandlers } from './grpc/inventory-handlers';
import { FleetStoreSql, INVENTORY_MIGRATIONS } from './store/fleet-store';

runService('inventory', async () => {
  const config = readInventoryConfig();
  const logger = createLogger('inventory');
  const service = await hostService({
    basics: config,
    migrations: INVENTORY_MIGRATIONS,
    logger,
    build: async (db) => {
      const fleet = new Fleet(new FleetStoreSql(db), config.minBatteryPercent);
      return {
        grpc: {
          definition: InventoryServiceService,
          name: 'ecowheels.inventory.v1.InventoryService',
          protoFile: 'ecowheels/inventory/v1/inventory_service.proto',
          handlers: inventoryHandlers(fleet),
        },
        graphql: inventorySubgraph(fleet),
      };
    },
  });
  return { service, logger };
});
