// The ride service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, ConfigError, defaultGrpcAddress, milliseconds, readServiceConfig, serviceAddress } from '../../platform/src/config';
import { currencyField } from '../../platform/src/money';

export function readRideConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'ride',
    DEFAULT_PORTS.ride,
    {
      USER_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('user')),
      INVENTORY_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('inventory')),
      PAYMENT_SERVICE_ADDR: serviceAddress(defaultGrpcAddress('payment')),
      // Deadline of each call to another service.
      RIDE_CALL_DEADLINE_MS: milliseconds(2000),
      // How long a flow may go without progress before recovery takes it over.
      RIDE_FLOW_LEASE_MS: milliseconds(10_000),
      RIDE_RECOVERY_INTERVAL_MS: milliseconds(5000),
      RIDE_CURRENCY: currencyField.default('EUR'),
      RIDE_UNLOCK_FEE_MINOR: z.coerce.number().int().min(0).default(100),
      RIDE_PER_MINUTE_MINOR: z.coerce.number().int().min(0).default(25),
      RIDE_HOLD_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(30),
    },
    env,
  );
  // A flow renews its lease before a call only when less than half of it is left (ride-flow.ts),
  // so half a lease must outlast a call, or recovery could take over a flow still running.
  if (own.RIDE_FLOW_LEASE_MS <= 2 * own.RIDE_CALL_DEADLINE_MS) {
    throw new ConfigError(
      `invalid configuration:\n  RIDE_FLOW_LEASE_MS=${own.RIDE_FLOW_LEASE_MS}: must be more than twice RIDE_CALL_DEADLINE_MS (${own.RIDE_CALL_DEADLINE_MS})`,
    );
  }
  return {
    ...basics,
    dependencies: { user: own.USER_SERVICE_ADDR, inventory: own.INVENTORY_SERVICE_ADDR, payment: own.PAYMENT_SERVICE_ADDR },
    callDeadlineMs: own.RIDE_CALL_DEADLINE_MS,
    pricing: {
      currency: own.RIDE_CURRENCY,
      unlockFeeMinor: own.RIDE_UNLOCK_FEE_MINOR,
      perMinuteMinor: own.RIDE_PER_MINUTE_MINOR,
      holdMinutes: own.RIDE_HOLD_MINUTES,
    },
    recovery: { intervalMs: own.RIDE_RECOVERY_INTERVAL_MS, leaseMs: own.RIDE_FLOW_LEASE_MS, batchSize: 50 },
  };
}
