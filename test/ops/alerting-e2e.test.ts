// The alerts end to end, on real parts: a real Prometheus scrapes a running telematics service over
// the mesh's mutual TLS and evaluates the generated rules (mesh-config/prometheus/rules.yaml), a
// real Alertmanager routes what fires to a webhook receiver here. The service is stopped: the
// matching alert (TargetDown) fires within its `for` plus a scrape and an evaluation, and resolves
// once the service is back. A bike posts readings all the while (under load): every reading the
// service acknowledged, before the stop and after the restart, is stored. The one change to the generated rules is TargetDown's `for`, 2 min in
// production, 10 s here, so the test takes seconds instead of minutes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/eventually';
import { describeWithPostgres } from '../support/postgres';
import { TEST_ENV } from '../support/stack';
import { readingJson, TelematicsUnderTest } from '../support/telematics';
import { freePorts } from '../../services/local-stack/src/free-ports';

const RULES = join(__dirname, '..', '..', 'mesh-config', 'prometheus', 'rules.yaml');
const FOR_SECONDS = 10;
const INTERVAL_SECONDS = 2;

interface Notification {
  at: number;
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

function run(binary: string, args: string[], logs: string[]): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  return child;
}

describeWithPostgres('alerts end to end: Prometheus, Alertmanager and a webhook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecowheels-alerting-'));
  const logs: string[] = [];
  const notifications: Notification[] = [];
  let telematics: TelematicsUnderTest;
  let prometheus: ChildProcess | undefined;
  let alertmanager: ChildProcess | undefined;
  let receiver: Server;

  beforeAll(async () => {
    telematics = await TelematicsUnderTest.start();
    const [prometheusPort, alertmanagerPort, receiverPort] = await freePorts(3);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        notifications.push({ at: Date.now(), ...(JSON.parse(body) as Omit<Notification, 'at'>) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));

    // The generated rules, TargetDown's `for` shortened for the test.
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; for?: string }[] }[] };
    for (const group of rules.groups) for (const rule of group.rules) if (rule.alert === 'TargetDown') rule.for = `${FOR_SECONDS}s`;
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
    const metrics = new URL(telematics.service.process.graphqlUrl.replace(/\/graphql$/, '/metrics'));
    const certs = TEST_ENV.MESH_CERTS_DIR;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: `${INTERVAL_SECONDS}s`, evaluation_interval: `${INTERVAL_SECONDS}s`, scrape_timeout: '1s' },
        rule_files: [join(dir, 'rules.yaml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
        scrape_configs: [
          {
            job_name: 'telematics',
            scheme: 'https',
            metrics_path: metrics.pathname,
            // The mesh's mutual TLS: the operator's certificate, the development CA, the name in the service's certificate.
            tls_config: { ca_file: join(certs, 'ca.pem'), cert_file: join(certs, 'operator.pem'), key_file: join(certs, 'operator-key.pem'), server_name: 'localhost' },
            static_configs: [{ targets: [metrics.host] }],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      stringify({
        route: { receiver: 'test', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [{ name: 'test', webhook_configs: [{ url: `http://127.0.0.1:${receiverPort}/`, send_resolved: true }] }],
      }),
    );
    alertmanager = run('prometheus-alertmanager', [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${alertmanagerPort}`, '--cluster.listen-address='], logs);
    prometheus = run('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`], logs);
    // Up: the target is scraped and healthy.
    await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=up`);
        const { data } = (await response.json()) as { data: { result: { value: [number, string] }[] } };
        expect(data.result.map((result) => result.value[1])).toEqual(['1']);
      },
      { timeoutMs: 30_000, what: `Prometheus scraping telematics (logs: ${logs.join('').slice(-2000)})` },
    );
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    alertmanager?.kill('SIGTERM');
    await new Promise((resolve) => receiver?.close(resolve));
    await telematics?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages TargetDown within its for plus a scrape and an evaluation of the service stopping under load, and resolves once it is back', async () => {
    // The load: a bike posting a batch of readings every 100 ms, through the stop and the restart.
    const { bikeId, deviceKey } = await telematics.provision();
    const acknowledged: number[] = [];
    let sequence = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const batch = Array.from({ length: 5 }, () => (sequence += 1));
        const answer = await telematics
          .post(batch.map((n) => JSON.stringify(readingJson(bikeId, n))).join('\n'), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' })
          .catch(() => undefined); // refused while the service is down
        if (answer?.status === 202) acknowledged.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await eventually(async () => expect(acknowledged.length).toBeGreaterThan(20), { what: 'the load to be taken in' });
    const beforeStop = acknowledged.length;

    const stoppedAt = Date.now();
    await telematics.service.process.stop();
    const firing = await eventually(
      async () => {
        const found = notifications.find((n) => n.status === 'firing' && n.alerts.some((alert) => alert.labels.alertname === 'TargetDown'));
        if (!found) throw new Error('no TargetDown notification yet');
        return found;
      },
      { timeoutMs: 60_000, what: 'TargetDown to fire' },
    );
    const alert = firing.alerts.find((candidate) => candidate.labels.alertname === 'TargetDown')!;
    expect(alert.labels).toMatchObject({ severity: 'page', job: 'telematics' });
    expect(alert.annotations.runbook_url).toMatch(/docs\/runbooks\/target-down\.md$/);
    const firedAfter = (firing.at - stoppedAt) / 1000;
    // for, then a scrape that sees it down and an evaluation that notices, and the Alertmanager's group_wait.
    expect(firedAfter).toBeGreaterThanOrEqual(FOR_SECONDS);
    expect(firedAfter).toBeLessThanOrEqual(FOR_SECONDS + 3 * INTERVAL_SECONDS + 1 + 2);

    const restartedAt = Date.now();
    await telematics.restart();
    const resolved = await eventually(
      async () => {
        const found = notifications.find((n) => n.at > restartedAt && n.status === 'resolved' && n.alerts.some((candidate) => candidate.labels.alertname === 'TargetDown'));
        if (!found) throw new Error('no resolved notification yet');
        return found;
      },
      { timeoutMs: 60_000, what: 'TargetDown to resolve' },
    );
    const resolvedAfter = (resolved.at - restartedAt) / 1000;
    await eventually(async () => expect(acknowledged.length).toBeGreaterThan(beforeStop + 20), { what: 'the load to be taken in again after the restart' });
    loading = false;
    await load;
    // Nothing acknowledged was lost across the stop.
    const stored = new Set((await telematics.storedReadings(bikeId)).map((reading) => reading.sequence));
    expect(acknowledged.filter((n) => !stored.has(n))).toEqual([]);
    console.log(`alerting: TargetDown fired ${firedAfter.toFixed(1)} s after telematics stopped (for ${FOR_SECONDS} s, scrape and evaluation every ${INTERVAL_SECONDS} s), resolved ${resolvedAfter.toFixed(1)} s after it was started again; under load, ${acknowledged.length} readings acknowledged (${beforeStop} before the stop), every one stored`);
    expect(resolvedAfter).toBeLessThanOrEqual(30);
  });
});
