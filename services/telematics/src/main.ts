// Composition root of the telematics service: config, store, the raw zone and the warehouse, the
// one ingest pipeline and the cleaner, the four doors, the gRPC server and the subgraph.
import '../../platform/src/bootstrap';
import { TelematicsServiceService } from '../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { createLogger } from '../../platform/src/logger';
import { hostService } from '../../platform/src/service-host';
import { runService } from '../../platform/src/run-service';
import { readTelematicsConfig } from './config';
import { openTelematics } from './telematics-core';
import { startDoors } from './doors/doors';
import { telematicsSubgraph } from './graphql/resolvers';
import { telematicsHandlers } from './grpc/telematics-handlers';
import { CuratedRelays } from './grpc/curated-relays';
import { TELEMATICS_MIGRATIONS } from './store/telematics-store';

runService('telematics', async () => {
  const config = readTelematicsConfig();
  const logger = createLogger('telematics');
  const service = await hostService({
    basics: config,
    migrations: TELEMATICS_MIGRATIONS,
    logger,
    build: async (db, mesh) => {
      const core = await openTelematics(config, db, logger);
      const relays = new CuratedRelays({
        inventoryAddress: config.inventoryAddress,
        rideAddress: config.rideAddress,
        mesh,
        deadlineMs: config.callDeadlineMs,
        throttleMs: config.inventoryRelayMs,
        store: core.store,
        logger,
      });
      core.onCurated((batch) => relays.curated(batch.states, batch.points.some((point) => point.reading.rideId)));
      // The edge and the API store nothing themselves: the processors clean what they store.
      if (config.role === 'all' || config.role === 'processor' || !config.bus) core.start();
      const doors = await startDoors(config, core, logger).catch(async (error: unknown) => {
        await core.stop();
        await relays.stop();
        throw error;
      });
      return {
        grpc: {
          definition: TelematicsServiceService,
          name: 'ecowheels.telematics.v1.TelematicsService',
          protoFile: 'ecowheels/telematics/v1/telematics_service.proto',
          handlers: telematicsHandlers(doors.intake, core.devices, core.impacts),
        },
        graphql: telematicsSubgraph({
          impacts: core.impacts,
          lastSeen: (ids) => core.store.lastSeen(ids),
          track: (id, limit) => core.store.track(id, limit),
          recent: core.recent,
          waiting: () => core.store.waiting(),
        }),
        announce: doors.addresses,
        background: {
          stop: async () => {
            // Doors first, so nothing new arrives; then what is in flight is made durable and cleaned.
            await doors.stop();
            await core.stop();
            await relays.stop();
          },
        },
      };
    },
  });
  return { service, logger };
});
