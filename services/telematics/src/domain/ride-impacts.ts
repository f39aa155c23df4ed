// Reads of what the cleaned data adds up to, for the API: per ride, per rider, per bike, and the
// fleet per day or hour from the warehouse. The CO2 figure is computed when read, from the totals
// and the configured factors, so a better factor needs no replay.
import { co2AvoidedGrams, withImpact, type ImpactFactors, type RideImpact, type RideTotals } from './ride-impact';

export interface ImpactStore {
  rideTotals(rideIds: readonly string[]): Promise<RideTotals[]>;
  riderTotals(riderId: string): Promise<{ rides: number; distanceMeters: number; movingSeconds: number; energyWh: number }>;
}

/** The fleet's totals over one day or hour (UTC), from the curated files. */
export interface FleetBucket {
  start: Date;
  readings: number;
  rides: number;
  bikes: number;
  distanceMeters: number;
  movingSeconds: number;
  energyWh: number;
}

export interface FleetSource {
  fleetBuckets(from: Date, to: Date, groupBy: 'day' | 'hour'): Promise<FleetBucket[]>;
}

export interface RiderImpact {
  rides: number;
  distanceMeters: number;
  movingSeconds: number;
  energyWh: number;
  co2AvoidedGrams: number;
}

export class RideImpacts {
  constructor(
    private readonly store: ImpactStore,
    private readonly warehouse: FleetSource,
    readonly factors: ImpactFactors,
  ) {}

  async rides(rideIds: readonly string[]): Promise<RideImpact[]> {
    if (rideIds.length === 0) return [];
    return (await this.store.rideTotals(rideIds)).map((totals) => withImpact(totals, this.factors));
  }

  async rider(riderId: string): Promise<RiderImpact> {
    const totals = await this.store.riderTotals(riderId);
    return { ...totals, co2AvoidedGrams: co2AvoidedGrams(totals.distanceMeters, totals.energyWh, this.factors) };
  }

  async fleet(from: Date, to: Date, groupBy: 'day' | 'hour'): Promise<(FleetBucket & { co2AvoidedGrams: number })[]> {
    const buckets = await this.warehouse.fleetBuckets(from, to, groupBy);
    return buckets.map((bucket) => ({ ...bucket, co2AvoidedGrams: co2AvoidedGrams(bucket.distanceMeters, bucket.energyWh, this.factors) }));
  }
}
