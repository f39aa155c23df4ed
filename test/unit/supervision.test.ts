// When the launcher starts a dead process again, and when it gives up.
import { RestartPolicy, describeSupervisionEvent } from '../../services/local-stack/src/supervision';

describe('restart policy', () => {
  it('backs off 0.5 s, doubling, and gives up at the sixth crash within a minute', () => {
    const policy = new RestartPolicy();
    const delays = [0, 1000, 2000, 3000, 4000, 5000].map((at) => policy.crashed(at));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, undefined]);
    expect(describeSupervisionEvent({ kind: 'gave-up', name: 'payment', ending: 'exit code 1', crashes: policy.recentCrashes, lastLines: ['boom'] })).toBe(
      '✗ payment stopped 6 times within a minute (last: exit code 1); stopping EcoWheels\n  its last lines:\n    boom',
    );
  });

  it('forgets crashes older than a minute: a process that dies now and then is always started again', () => {
    const policy = new RestartPolicy();
    const delays = Array.from({ length: 10 }, (_, index) => policy.crashed(index * 61_000));
    expect(delays).toEqual(Array(10).fill(500));
  });
});
