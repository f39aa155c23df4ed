// The net-zero figures of a ride: how far it went on the clean track, how long it moved, the
// energy it drew, and the CO2 it avoided against the same trip by car, net of the e-bike's own
// footprint. The factors are configuration; the README cites where each default comes from.

export interface ImpactFactors {
  /** A car's emissions per kilometre, life cycle included (g CO2e/km). */
  carGramsPerKm: number;
  /** The e-bike's manufacturing and maintenance, spread over its life (g CO2e/km). */
  ebikeLifecycleGramsPerKm: number;
  /** The grid's carbon intensity for the electricity the pack used (g CO2e/kWh). */
  gridGramsPerKwh: number;
}

export interface RideTotals {
  rideId: string;
  bikeId: string;
  riderId?: string;
  distanceMeters: number;
  movingSeconds: number;
  energyWh: number;
  readingCount: number;
  filledCount: number;
  firstRecordedAt: Date;
  lastRecordedAt: Date;
}

export interface RideImpact extends RideTotals {
  co2AvoidedGrams: number;
}

/**
 * CO2 avoided = km × car factor − (km × e-bike life-cycle factor + kWh × grid intensity).
 * It can be negative for a ride that used energy but went nowhere: reported as it is.
 */
export function co2AvoidedGrams(distanceMeters: number, energyWh: number, factors: ImpactFactors): number {
  const km = distanceMeters / 1000;
  const kwh = energyWh / 1000;
  return km * factors.carGramsPerKm - (km * factors.ebikeLifecycleGramsPerKm + kwh * factors.gridGramsPerKwh);
}

export const withImpact = (totals: RideTotals, factors: ImpactFactors): RideImpact => ({
  ...totals,
  co2AvoidedGrams: co2AvoidedGrams(totals.distanceMeters, totals.energyWh, factors),
});
