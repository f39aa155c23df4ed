// The recovery loop drives every stale flow it claimed at once: a claim lasts one lease, so a pass
// that drove them one after another through slow services would outlive the last ones' claims.
import pino from 'pino';
import { RideRecovery } from '../../services/ride/src/domain/ride-recovery';
import type { RideFlow, RideStore } from '../../services/ride/src/domain/ride-flow';
import type { Ride } from '../../services/ride/src/domain/ride';

const settle = async () => {
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('ride recovery', () => {
  it('drives every flow of a pass at the same time, and finishes the pass when the last is done', async () => {
    const stale = ['a', 'b', 'c'].map((id) => ({ id, status: 'ENDING' }) as Ride);
    const store = { claimStale: jest.fn().mockResolvedValueOnce(stale).mockResolvedValue([]) } as unknown as RideStore;
    const driving: string[] = [];
    let finish!: () => void;
    const slowServices = new Promise<void>((resolve) => (finish = resolve));
    const flow = {
      recover: async (ride: Ride) => {
        driving.push(ride.id);
        await slowServices;
        return { ...ride, status: 'COMPLETED' };
      },
    } as unknown as RideFlow;
    const recovery = new RideRecovery(store, flow, { intervalMs: 60_000, leaseMs: 2500, batchSize: 50 }, pino({ level: 'silent' }));

    let passDone = false;
    const pass = recovery.runOnce().then((count) => ((passDone = true), count));
    await settle();
    expect(driving).toEqual(['a', 'b', 'c']);
    expect(passDone).toBe(false);
    finish();
    expect(await pass).toBe(3);
  });
});
