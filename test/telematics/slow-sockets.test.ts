// 20,000 slow sockets against the device door, from four processes, each sending a POST's headers
// and then a byte of body a second, all from one address (127.0.0.2): the door keeps at most its
// per-address share of them, cuts the slow bodies after their grace, and MQTT, HTTPS and the
// telematics GraphQL keep answering bikes from another address (127.0.0.1) all along.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { graphql } from '../support/graphql-client';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { SCOPES_HEADER } from '../../services/platform/src/graphql/subgraph-server';
import { describeWithPostgres } from '../support/postgres';
import { testCredentials } from '../support/stack';
import { readingJson, readingsTopic, TelematicsUnderTest } from '../support/telematics';

const PROCESSES = 4;
/** The attacker's address, another loopback one than the test's own clients' (127.0.0.1). */
const ATTACKER = '127.0.0.2';
const PER_PROCESS = 5000;

interface Holder {
  child: ChildProcess;
  last: { open: number; closed: number; failed: number };
  opened: Promise<void>;
}

function holdSlowSockets(host: string, port: number, authorization?: string): Holder {
  const args = [join(__dirname, '../support/slow-sockets.js'), host, String(port), String(PER_PROCESS), ...(authorization ? [authorization] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLOW_SOCKETS_FROM: ATTACKER } });
  const holder: Holder = { child, last: { open: 0, closed: 0, failed: 0 }, opened: Promise.resolve() };
  holder.opened = new Promise((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event: string; open: number; closed: number; failed: number };
      holder.last = event;
      if (event.event === 'opened') resolve();
    });
  });
  return holder;
}

describeWithPostgres('the device door under 20,000 slow sockets', () => {
  let telematics: TelematicsUnderTest;
  const holders: Holder[] = [];
  beforeAll(async () => {
    telematics = await TelematicsUnderTest.start({ HTTP_BODY_GRACE_MS: '2000' });
  });
  afterAll(async () => {
    for (const holder of holders) holder.child.kill('SIGKILL');
    await telematics?.stop();
  });

  it('holds at most its share, cuts slow bodies, and MQTT, HTTPS and GraphQL keep answering', async () => {
    const url = new URL(telematics.ready.deviceUrl);
    // Half without a key (refused at once: the socket closes, its body unread), half with a real
    // device's key (a broken or hostile bike: its body is read, too slowly).
    const slowBike = await telematics.provision();
    const started = Date.now();
    for (let n = 0; n < PROCESSES; n += 1) holders.push(holdSlowSockets(url.hostname, Number(url.port), n % 2 === 0 ? undefined : `Bearer ${slowBike.deviceKey}`));
    await Promise.all(holders.map((holder) => holder.opened));
    const openedMs = Date.now() - started;

    // While they hold on: a device posts, another publishes over MQTT, and the GraphQL answers.
    const { bikeId, deviceKey, secret } = await telematics.provision();
    const posted = await telematics.post(JSON.stringify(readingJson(bikeId, 1)), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    expect(posted.status).toBe(202);
    const device = await telematics.connectDevice(bikeId, secret);
    await device.publishAsync(readingsTopic(bikeId), JSON.stringify(readingJson(bikeId, 2)), { qos: 1 });
    const answer = await graphql(telematics.service.process.graphqlUrl, '{ __typename }', { dispatcher: httpDispatcher(testCredentials('gateway')), headers: { [SCOPES_HEADER]: 'ops' } });
    expect(answer.errors).toBeUndefined();
    expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 2]);

    // Every one of them is closed by the door: at connect, over its per-address share (256), or
    // once its body trickled below the floor past its grace (2 s here, then the sweep).
    const total = () => holders.reduce((sum, holder) => sum + holder.last.closed + holder.last.failed, 0);
    // Usually within seconds; the bound is for a busy machine (20,000 sockets to accept and close).
    const deadline = Date.now() + 60_000;
    while (total() < PROCESSES * PER_PROCESS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(total()).toBe(PROCESSES * PER_PROCESS);
    const refused = (await telematics.metric('telematics_devices_refused_total', { door: 'http', reason: 'per_address' })) ?? 0;
    const slow = (await telematics.metric('telematics_devices_refused_total', { door: 'http', reason: 'slow_body' })) ?? 0;
    const unaccepted = holders.reduce((sum, holder) => sum + holder.last.failed, 0);
    console.log(`slow sockets: ${PROCESSES * PER_PROCESS} opened in ${openedMs} ms; refused at connect ${refused}, never accepted (the listen backlog) ${unaccepted}, cut as slow bodies ${slow}; all closed ${Date.now() - started} ms after the first`);
    expect(slow).toBeGreaterThan(0);
  });
});
