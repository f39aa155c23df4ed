// The many-processor tests' input: rides of several bikes, recorded every 2 s, in which each bike's
// 15th fix is a GPS jump (the track rules drop it, and rejects/ keeps it) and its 25th reading never
// arrives (the gap is filled), stored in rounds of one reading per bike, as a fleet sends them.
import type { AcceptedReading } from '../../services/telematics/src/domain/reading';
import type { CleaningSettings } from '../../services/telematics/src/domain/track-cleaning';

export const TEST_CLEANING: CleaningSettings = { reorderWindowMs: 0, maxImpliedSpeedKmh: 60, flagSpeedKmh: 45, maxFillGapMs: 30_000, maxFillReadings: 10, movingSpeedKmh: 2, packCapacityWh: 500 };

const START = Date.UTC(2026, 10, 26, 9, 58, 0);

/** Round r of the input: reading r + 1 of every bike (except the missing ones). */
export function cleaningRounds(bikes: number, readingsPerBike: number): AcceptedReading[][] {
  const bikeId = (index: number) => `0b0e7c1e-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
  const rideId = (index: number) => `1d0e7c1e-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
  const rounds: AcceptedReading[][] = [];
  for (let round = 0; round < readingsPerBike; round += 1) {
    const sequence = round + 1;
    const readings: AcceptedReading[] = [];
    for (let bike = 0; bike < bikes; bike += 1) {
      if (sequence === 25) continue;
      const recordedAt = new Date(START + round * 2000 + bike * 37);
      const jump = sequence === 15 ? 0.05 : 0;
      readings.push({
        reading: {
          bikeId: bikeId(bike),
          sequence,
          recordedAt,
          latitude: 52.3 + bike * 0.01 + round * 0.00009 + jump,
          longitude: 4.9 + round * 0.00002,
          speedKmh: 18,
          batteryPercent: 90 - round * 0.1,
          batteryVoltage: 40,
          odometerMeters: round * 10,
          assistLevel: 2,
          faultCodes: [],
          rideId: rideId(bike),
        },
        receivedAt: new Date(recordedAt.getTime() + 500),
        door: 'mqtt',
      });
    }
    rounds.push(readings);
  }
  return rounds;
}
