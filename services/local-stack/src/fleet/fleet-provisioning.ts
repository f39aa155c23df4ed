// Bikes for the simulator: registered in inventory at a station of their own and given device
// credentials by telematics, as a real bike is when it joins the fleet. The secrets are kept in a
// file under the data folder (they are shown only once), so later runs reuse the same bikes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { InventoryServiceClient, InventoryServiceService } from '../../../platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { TelematicsServiceClient, TelematicsServiceService } from '../../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { createClient } from '../../../platform/src/grpc/client';
import type { MeshCredentials } from '../../../platform/src/mesh/credentials';
import type { SimulatedDevice } from './fleet-simulator';

/** Westerpark, a few kilometres west of the demo city's centre: the simulated bikes' home. */
export const SIMULATED_FLEET_HOME = { name: 'Westerpark (simulated fleet)', latitude: 52.3866, longitude: 4.8754, capacity: 1000 };

interface FleetFile {
  stationId?: string;
  devices: { bikeId: string; secret: string }[];
}

export async function provisionSimulatedFleet(options: {
  file: string;
  count: number;
  inventoryAddress: string;
  telematicsAddress: string;
  mesh: MeshCredentials;
}): Promise<SimulatedDevice[]> {
  const saved: FleetFile = existsSync(options.file) ? (JSON.parse(readFileSync(options.file, 'utf8')) as FleetFile) : { devices: [] };
  const save = () => writeFileSync(options.file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  const common = { mesh: options.mesh, defaultDeadlineMs: 10_000 };
  const inventory = createClient(InventoryServiceClient, InventoryServiceService, { ...common, address: options.inventoryAddress, peerName: 'inventory' });
  const telematics = createClient(TelematicsServiceClient, TelematicsServiceService, { ...common, address: options.telematicsAddress, peerName: 'telematics' });
  try {
    const home = { latitude: SIMULATED_FLEET_HOME.latitude, longitude: SIMULATED_FLEET_HOME.longitude };
    if (!saved.stationId) {
      saved.stationId = (await inventory.createStation({ name: SIMULATED_FLEET_HOME.name, location: home, capacity: SIMULATED_FLEET_HOME.capacity })).station!.id;
      save();
    }
    while (saved.devices.length < options.count) {
      const n = saved.devices.length;
      const { bike } = await inventory.registerBike({
        model: 'EcoWheels City 3',
        location: { latitude: home.latitude + 0.0004 * Math.sin(n), longitude: home.longitude + 0.0006 * Math.cos(n) },
        batteryPercent: 60 + (n % 40),
        stationId: saved.stationId,
      });
      const { secret } = await telematics.provisionDevice({ bikeId: bike!.id, rotate: false });
      saved.devices.push({ bikeId: bike!.id, secret });
      save();
    }
    const chosen = saved.devices.slice(0, options.count);
    const bikes = new Map<string, { location?: { latitude: number; longitude: number }; batteryPercent: number }>();
    for (let start = 0; start < chosen.length; start += 500) {
      const { bikes: found } = await inventory.batchGetBikes({ bikeIds: chosen.slice(start, start + 500).map((device) => device.bikeId) });
      for (const bike of found) bikes.set(bike.id, bike);
    }
    return chosen.map((device) => {
      const bike = bikes.get(device.bikeId);
      return { ...device, position: bike?.location ?? home, batteryPercent: Math.max(40, bike?.batteryPercent ?? 80) };
    });
  } finally {
    inventory.close();
    telematics.close();
  }
}
