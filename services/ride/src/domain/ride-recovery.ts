// Finishes or undoes ride flows that nobody is driving any more: their worker crashed, or a service
// they needed was down. Runs once at start and then every interval; several replicas may run it,
// since a ride is claimed (by its lease) before it is touched.
import type { Logger } from '../../../platform/src/logger';
import { inSpan, untraced } from '../../../platform/src/telemetry/tracing';
import type { RideFlow, RideStore } from './ride-flow';

export interface RecoverySettings {
  intervalMs: number;
  leaseMs: number;
  batchSize: number;
}

export class RideRecovery {
  private timer?: NodeJS.Timeout;
  private pass?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly store: RideStore,
    private readonly flow: RideFlow,
    private readonly settings: RecoverySettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.pass = this.runOnce()
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'ride recovery pass failed; trying again later');
          return 0;
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.settings.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** One pass: claims the stale flows and drives each to an end. Returns how many it touched. */
  async runOnce(): Promise<number> {
    const now = new Date();
    // The poll itself is not traced (it runs every few seconds); each ride it recovers is.
    const rides = await untraced(() => this.store.claimStale(now, new Date(now.getTime() + this.settings.leaseMs), this.settings.batchSize));
    // All at once, not one after another: each claim lasts one lease, and a pass that drove 50 rides
    // in turn through slow services would outlive the claims of the last ones (another replica could
    // then take them over while this one still means to drive them), and keep riders waiting.
    await Promise.all(
      rides.map((ride) =>
        inSpan('ride.recover', { 'ecowheels.ride.id': ride.id, 'ecowheels.ride.status': ride.status }, async () => {
          try {
            const after = await this.flow.recover(ride);
            this.logger.info({ rideId: ride.id, from: ride.status, to: after.status }, 'recovered ride flow');
          } catch (error) {
            this.logger.warn({ rideId: ride.id, err: error }, 'ride flow still cannot finish; will retry');
          }
        }),
      ),
    );
    return rides.length;
  }
}
