// Every process stops on its own when told to, as `npm start` and Kubernetes run it: outside
// NODE_ENV=test (where Apollo Server installs a signal handler of its own unless told not to), a
// SIGTERM, SIGINT or SIGHUP drains, closes the database and exits 0 well within the 5 s grace.
import { TestStack } from '../support/stack';
import type { ProcessName } from '../../services/platform/src/local-stack/service-process';
import { describeWithPostgres } from '../support/postgres';

describeWithPostgres('stopping on a signal, outside the test environment', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start({ NODE_ENV: 'development' });
  }, 120_000);
  afterAll(() => stack?.stop());

  // From the edge inwards, as the launcher stops them; each with a different signal.
  const order: [ProcessName, NodeJS.Signals][] = [
    ['gateway', 'SIGTERM'],
    ['telematics', 'SIGTERM'],
    ['ride', 'SIGHUP'],
    ['user', 'SIGINT'],
    ['inventory', 'SIGTERM'],
    ['payment', 'SIGTERM'],
  ];
  it.each(order)('%s exits 0 within 5 s of %s', async (name, signal) => {
    const service = stack.service(name);
    const started = performance.now();
    service.signal(signal);
    const code = await Promise.race([service.waitForExit(), new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5000))]);
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(service.output.join('\n')).toContain(`"signal":"${signal}"`);
  }, 15_000);
});
