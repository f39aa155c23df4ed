// The inventory service's parts: the fleet on its store, and what serves it.
import { InventoryServiceService, type InventoryServiceServer } from '../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import type { ServiceRecipe } from '../../platform/src/service-host';
import type { readInventoryConfig } from './config';
import { Fleet } from './domain/fleet';
import { inventorySubgraph } from './graphql/resolvers';
import { inventoryHandlers } from './grpc/inventory-handlers';
import { FleetStoreSql, INVENTORY_MIGRATIONS } from './store/fleet-store';

export function inventoryService(config: ReturnType<typeof readInventoryConfig>): ServiceRecipe<InventoryServiceServer> {
  return {
    migrations: INVENTORY_MIGRATIONS,
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
  };
}
