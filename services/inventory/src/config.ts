// The inventory service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, readServiceConfig } from '../../platform/src/config';

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'inventory',
    DEFAULT_PORTS.inventory,
    {
      // Bikes below this charge are neither listed as available nor reservable.
      INVENTORY_MIN_BATTERY_PERCENT: z.coerce.number().int().min(0).max(100).default(15),
    },
    env,
  );
  return { ...basics, minBatteryPercent: own.INVENTORY_MIN_BATTERY_PERCENT };
}
