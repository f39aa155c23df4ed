// The inventory service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { readServiceConfig } from '../../platform/src/config';

export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'inventory',
    { grpc: 50052, http: 4002 },
    {
      // Bikes below this charge are neither listed as available nor reservable.
      INVENTORY_MIN_BATTERY_PERCENT: z.coerce.number().int().min(0).max(100).default(15),
    },
    env,
  );
  return { ...basics, minBatteryPercent: own.INVENTORY_MIN_BATTERY_PERCENT };
}
