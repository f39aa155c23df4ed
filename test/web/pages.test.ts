// The explorer and the operations dashboard in a real browser (Debian's Chromium, driven by
// playwright-core), against the real stack with a simulated fleet riding: the explorer loads with
// nothing leaving loopback and runs its prefilled query, also as a persisted query; it is off in
// production; the dashboard refuses a key without the ops scope, shows the fleet on its map and a
// simulated bike moving, and draws its charts with data; no page logs an error. Screenshots go to
// test-results/ (CI keeps them; the README shows them).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { waitAtMost } from '../../services/platform/src/wait-at-most';
import { startFleet, type RunningFleet } from '../../services/local-stack/src/fleet/fleet-simulator';
import { provisionSimulatedFleet } from '../../services/local-stack/src/fleet/fleet-provisioning';
import { launchBrowser, offLoopback, openPage, SCREENSHOTS } from '../support/browser';
import { eventually } from '../support/eventually';
import { CENTRE, newBike, riderWithFunds } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { PRODUCTION_GATEWAY_ENV, testCredentials, useTestStack } from '../support/stack';

// These run in the page, where the DOM is; the project's type check has no DOM library.
declare const document: { querySelector(selector: string): { textContent: string | null } | null; querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>; documentElement: { scrollWidth: number }; activeElement: { textContent: string | null; getAttribute(name: string): string | null } | null };
declare const window: { innerWidth: number };

describeWithPostgres('the explorer and the operations dashboard in a browser', () => {
  // Positions reach inventory within half a second, so the map can show a bike move.
  // What `npm start` keeps of the demo, which the explorer prefills: its launcher names the file.
  const demoFile = join(mkdtempSync(join(tmpdir(), 'ecowheels-demo-')), 'demo-credentials.json');
  const running = useTestStack({ TELEMATICS_INVENTORY_RELAY_MS: '500', GATEWAY_DEMO_CREDENTIALS_FILE: demoFile });
  let origin: string;
  let apiKey: string;
  let opsKey: string;
  let browser: Browser;
  let fleet: RunningFleet;
  let bikeIds: string[];

  beforeAll(async () => {
    const gateway = running.stack.service('gateway');
    origin = new URL(gateway.graphqlUrl).origin;
    const { clients } = running;
    apiKey = (await clients.user.createApiClient({ name: 'Browser test app', scopes: [] })).apiKey;
    opsKey = (await clients.user.createApiClient({ name: 'Browser test ops', scopes: ['ops'] })).apiKey;
    const rider = await riderWithFunds(clients);
    writeFileSync(demoFile, JSON.stringify({ riderEmail: rider.email, riderPassword: rider.password, apiKey, opsApiKey: opsKey }));
    // One finished ride, for the rides chart.
    const bike = await newBike(clients);
    const { ride } = await clients.ride.startRide({ riderId: rider.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    await clients.ride.endRide({ rideId: ride!.id, riderId: rider.riderId, endLocation: CENTRE });
    // Three simulated bikes riding, as `npm start` runs them.
    const telematics = running.stack.service('telematics');
    const devices = await provisionSimulatedFleet({
      file: join(running.stack.dataDir, 'simulated-fleet.json'),
      count: 3,
      inventoryAddress: running.stack.service('inventory').address,
      telematicsAddress: telematics.address,
      mesh: testCredentials('operator'),
    });
    bikeIds = devices.map((device) => device.bikeId);
    fleet = await startFleet({ mqttUrl: telematics.ready.mqttUrl as string, devices, rate: 2, junkRatio: 0.05, seed: 7 });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    // Normally stopped by the last test; after a failure the broker may be gone already.
    await waitAtMost(fleet?.stop() ?? Promise.resolve(), 5000);
    await browser?.close();
  });

  it('serves the explorer at /graphql with nothing from beyond loopback, and runs the prefilled query, also as a persisted query', async () => {
    const { page, requests, errors } = await openPage(browser);
    await page.goto(`${origin}/graphql`);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor();
    await run.click();
    await page.waitForFunction(() => document.querySelector('.result-window')?.textContent?.includes('"bikesNear"'));
    const status = page.getByTestId('last-request');
    await page.waitForFunction(() => /persisted query [0-9a-f]{12}… \(registered now\); trace id [0-9a-f]{32}/.test(document.querySelector('[data-testid="last-request"]')?.textContent ?? ''));
    await run.click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="last-request"]')?.textContent ?? '').includes('the gateway knew it'));
    expect(await status.textContent()).toMatch(/HTTP 200/);
    // The demo rider's login puts a token in the headers; the second tab then answers `me`.
    await page.getByRole('button', { name: 'Log in as the demo rider' }).click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="last-request"]')?.textContent ?? '').includes('Logged in as'));
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer.png') });
    expect(offLoopback(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('is off in production, like introspection', async () => {
    const production = await running.stack.startGateway(PRODUCTION_GATEWAY_ENV);
    const base = new URL(production.graphqlUrl).origin;
    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).not.toMatch(/html/);
    expect((await fetch(`${base}/graphql/explorer/explorer.js`)).headers.get('content-type')).not.toMatch(/javascript/);
    expect((await fetch(`${base}/graphql/explorer/settings.json`, { headers: { 'x-api-key': apiKey } })).status).not.toBe(200);
  });

  it('refuses a key without the ops scope, in the API and on the page', async () => {
    const answer = await graphql(`${origin}/graphql`, '{ fleetBikes { bikes { id } } rideStats { inProgress } ingestionHealth { lagSeconds } }', { apiKey });
    expect((answer.errors ?? []).map((error) => error.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    const { page, errors } = await openPage(browser);
    await page.goto(`${origin}/ops`);
    const field = page.getByLabel('API key with the ops scope');
    await field.fill(apiKey);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not have the ops scope' }).waitFor();
    // The API refused the key: the page says so, and nothing else was shown.
    expect(errors.filter((error) => !/403|Failed to load resource/.test(error))).toEqual([]);
    await page.context().close();
  });

  it('shows the fleet on the map with a simulated bike moving, and the charts with data', async () => {
    // The warehouse has the simulated rides before the page opens, so the CO2 chart has a day.
    await eventually(
      async () => {
        const from = new Date(Date.now() - 86_400_000).toISOString();
        const to = new Date(Date.now() + 86_400_000).toISOString();
        const answer = await graphql(`${origin}/graphql`, `{ fleetImpact(from: "${from}", to: "${to}") { start } }`, { apiKey: opsKey });
        expect(answer.data!.fleetImpact.length).toBeGreaterThan(0);
      },
      { timeoutMs: 30_000, what: 'the simulated fleet to reach the warehouse' },
    );
    const { page, requests, errors } = await openPage(browser);
    await page.goto(`${origin}/ops`);
    // The demo ops key is prefilled in development.
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    const fleetSize = ((await graphql(`${origin}/graphql`, '{ fleetBikes { bikes { id } } }', { apiKey: opsKey })).data!.fleetBikes.bikes as unknown[]).length;
    await page.waitForFunction((count) => document.querySelectorAll('path.bike').length === count, fleetSize);
    const row = page.locator(`tr[data-bike-id="${bikeIds[0]}"]`);
    const position = async () => `${await row.locator('.lat').textContent()},${await row.locator('.lon').textContent()}`;
    const before = await position();
    await eventually(async () => expect(await position()).not.toBe(before), { timeoutMs: 30_000, what: 'the simulated bike to move on the page' });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('figure.chart [data-points]')).every((chart) => Number(chart.getAttribute('data-points')) > 0));
    expect(await page.locator('figure.chart canvas').count()).toBe(2);
    expect(Number(await page.getByTestId('rides-in-progress').textContent())).toBeGreaterThanOrEqual(0);
    await eventually(async () => expect(Number(await page.getByTestId('readings-per-second').textContent())).toBeGreaterThan(0), { timeoutMs: 20_000, what: 'readings per second' });
    await page.screenshot({ path: join(SCREENSHOTS, 'ops.png'), fullPage: true });
    // On a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'ops-phone.png') });
    // Keyboard: the first tab stop is a control with a visible label.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent ?? document.activeElement?.getAttribute('aria-label'))).toBeTruthy();
    expect(offLoopback(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
    await fleet.stop();
  }, 120_000);
});
