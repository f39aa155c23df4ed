// The fleet operations dashboard the gateway serves at /ops: built from the public GraphQL API
// alone, with an API key that has the ops scope (a key without it is refused by the API, and the
// page says so). It polls: the map and the ingestion figures every 5 s, the charts every 30 s.
// Polling, not a subscription: the gateway serves no subscriptions (Apollo Gateway does not
// federate them), a few requests a minute cost nothing, and a poll survives a proxy or a restart.
// The map has no tile server: a projected grid around the fleet, the stations and the bikes, all
// drawn locally; a table beside it lists the same bikes for keyboards and screen readers.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { loadDemoSettings } from '../demo-settings';
import './ops.css';

interface Bike {
  id: string;
  model: string;
  status: 'AVAILABLE' | 'RESERVED' | 'IN_RIDE' | 'MAINTENANCE';
  batteryPercent: number;
  location: { latitude: number; longitude: number } | null;
}
interface Health {
  readingsPerSecond: number;
  rejectsLastHour: { rule: string; count: number }[];
  waitingReadings: number;
  lagSeconds: number;
}
interface RideStats {
  inProgress: number;
  perHour: { start: string; started: number; completed: number }[];
}
interface ImpactDay {
  start: string;
  co2AvoidedGrams: number;
  distanceMeters: number;
}

const KEY_STORAGE = 'ecowheels-ops-key';
const STATUS_COLOURS: Record<Bike['status'], string> = { AVAILABLE: '#1a7f37', RESERVED: '#8250df', IN_RIDE: '#0550ae', MAINTENANCE: '#6e7781' };

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function query<T>(apiKey: string, document: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ query: document, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) throw new ApiError(body.errors[0].extensions?.code ?? 'ERROR', body.errors[0].message);
  if (!response.ok || !body.data) throw new ApiError(`HTTP_${response.status}`, `the API answered ${response.status}`);
  return body.data;
}

/** Runs `load` now and every `ms`, while the key is set; reports errors instead of throwing. */
function usePolling<T>(apiKey: string, ms: number, load: (key: string) => Promise<T>, onError: (error: ApiError) => void): T | undefined {
  const [value, setValue] = useState<T>();
  useEffect(() => {
    if (!apiKey) return;
    let stopped = false;
    const run = () =>
      load(apiKey).then(
        (loaded) => !stopped && setValue(loaded),
        (error: unknown) => !stopped && onError(error instanceof ApiError ? error : new ApiError('NETWORK', String(error))),
      );
    void run();
    const timer = setInterval(() => void run(), ms);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [apiKey, ms, load, onError]);
  return value;
}

function FleetMap({ bikes }: { bikes: Bike[] }) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | undefined>(undefined);
  const layer = useRef<L.LayerGroup | undefined>(undefined);
  const framed = useRef(false);
  useEffect(() => {
    if (!container.current || map.current) return;
    map.current = L.map(container.current, { zoomControl: true, attributionControl: false, keyboard: true });
    layer.current = L.layerGroup().addTo(map.current);
  }, []);
  useEffect(() => {
    const placed = bikes.filter((bike) => bike.location);
    if (!map.current || !layer.current || placed.length === 0) return;
    layer.current.clearLayers();
    const bounds = L.latLngBounds(placed.map((bike) => [bike.location!.latitude, bike.location!.longitude]));
    // The grid: a line every 0.002° (about 220 m north-south), around the fleet.
    const padded = bounds.pad(0.5);
    const step = 0.002;
    for (let lat = Math.floor(padded.getSouth() / step) * step; lat <= padded.getNorth(); lat += step) {
      L.polyline([[lat, padded.getWest()], [lat, padded.getEast()]], { color: '#d0d7de', weight: 1, interactive: false }).addTo(layer.current);
    }
    for (let lon = Math.floor(padded.getWest() / step) * step; lon <= padded.getEast(); lon += step) {
      L.polyline([[padded.getSouth(), lon], [padded.getNorth(), lon]], { color: '#d0d7de', weight: 1, interactive: false }).addTo(layer.current);
    }
    for (const bike of placed) {
      L.circleMarker([bike.location!.latitude, bike.location!.longitude], {
        radius: 6,
        color: '#fff',
        weight: 1,
        fillColor: STATUS_COLOURS[bike.status],
        fillOpacity: 0.9,
        className: `bike bike-${bike.status.toLowerCase()}`,
      })
        .bindTooltip(`${bike.model} · ${bike.status.toLowerCase().replace('_', ' ')} · ${bike.batteryPercent}%`)
        .addTo(layer.current);
    }
    if (!framed.current) {
      map.current.fitBounds(bounds.pad(0.1));
      framed.current = true;
    }
  }, [bikes]);
  return <div ref={container} className="map" role="img" aria-label={`Map of ${bikes.length} bikes; the table below lists them`} />;
}

const bars = uPlot.paths.bars!({ size: [0.7, 48] });

/** A bar chart over the last `spanSeconds` up to the current `stepSeconds` bucket, empty buckets included. */
function Chart({ title, series, xs, label, spanSeconds, stepSeconds }: { title: string; xs: number[]; series: { label: string; values: number[]; colour: string }[]; label: string; spanSeconds: number; stepSeconds: number }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!container.current) return;
    const width = container.current.clientWidth || 320;
    const current = Math.floor(Date.now() / 1000 / stepSeconds) * stepSeconds;
    const range: [number, number] = [current - spanSeconds, current + stepSeconds];
    const plot = new uPlot(
      {
        width,
        height: 180,
        series: [{}, ...series.map((line) => ({ label: line.label, stroke: line.colour, fill: `${line.colour}99`, width: 1, paths: bars, points: { show: false } }))],
        axes: [{}, { label }],
        // The whole window, whatever has data: an empty hour shows as empty.
        scales: { x: { time: true, range: () => range }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      },
      [xs, ...series.map((line) => line.values)],
      container.current,
    );
    // Follows its box: a phone turned, a window resized.
    const box = container.current;
    const resize = new ResizeObserver(() => plot.setSize({ width: box.clientWidth || 320, height: 180 }));
    resize.observe(box);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [xs, series, label, spanSeconds, stepSeconds]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} data-points={xs.length} />
    </figure>
  );
}

const FLEET = 'query ($after: String) { fleetBikes(first: 250, after: $after) { bikes { id model status batteryPercent location { latitude longitude } } endCursor } }';

/** The whole fleet, a page of 250 at a time (the API's cost limit counts `first`). */
async function wholeFleet(apiKey: string): Promise<Bike[]> {
  const bikes: Bike[] = [];
  let after: string | null = null;
  do {
    const page: { fleetBikes: { bikes: Bike[]; endCursor: string | null } } = await query(apiKey, FLEET, { after });
    bikes.push(...page.fleetBikes.bikes);
    after = page.fleetBikes.endCursor;
  } while (after);
  return bikes;
}
const HEALTH = 'query { ingestionHealth { readingsPerSecond waitingReadings lagSeconds rejectsLastHour { rule count } } }';
const RIDES = 'query { rideStats(hours: 24) { inProgress perHour { start started completed } } }';
const IMPACT = 'query ($from: String!, $to: String!) { fleetImpact(from: $from, to: $to, groupBy: DAY) { start co2AvoidedGrams distanceMeters } }';

function Dashboard() {
  const [apiKey, setApiKey] = useState(() => sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<ApiError>();
  const onError = useCallback((failure: ApiError) => setError(failure), []);

  useEffect(() => {
    if (apiKey) return;
    // In development the gateway offers the demo ops key that `npm start` made; it fills the field
    // only while the field is empty, never over a key typed before the offer arrived.
    void loadDemoSettings().then((settings) => settings.opsApiKey && setDraft((typed) => typed || settings.opsApiKey!));
  }, [apiKey]);

  const bikes = usePolling(apiKey, 5000, wholeFleet, onError);
  const health = usePolling(apiKey, 5000, useCallback((key: string) => query<{ ingestionHealth: Health }>(key, HEALTH).then((data) => data.ingestionHealth), []), onError);
  const rides = usePolling(apiKey, 30_000, useCallback((key: string) => query<{ rideStats: RideStats }>(key, RIDES).then((data) => data.rideStats), []), onError);
  const impact = usePolling(
    apiKey,
    30_000,
    useCallback((key: string) => {
      const to = new Date(Date.now() + 86_400_000);
      const from = new Date(to.getTime() - 14 * 86_400_000);
      return query<{ fleetImpact: ImpactDay[] }>(key, IMPACT, { from: from.toISOString().slice(0, 10) + 'T00:00:00Z', to: to.toISOString().slice(0, 10) + 'T00:00:00Z' }).then((data) => data.fleetImpact);
    }, []),
    onError,
  );

  const chooseKey = (key: string) => {
    setError(undefined);
    sessionStorage.setItem(KEY_STORAGE, key);
    setApiKey(key);
  };

  if (!apiKey || error?.code === 'FORBIDDEN' || error?.code === 'UNAUTHENTICATED') {
    return (
      <main className="login">
        <h1>EcoWheels fleet operations</h1>
        {error ? (
          <p role="alert" className="error">
            {error.code === 'FORBIDDEN' ? 'This API key does not have the ops scope: the dashboard needs an operations key.' : 'This API key is not valid.'} ({error.message})
          </p>
        ) : null}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            chooseKey(draft.trim());
          }}
        >
          <label htmlFor="key">API key with the ops scope</label>
          <input id="key" name="key" type="password" autoComplete="off" value={draft} onChange={(event) => setDraft(event.target.value)} required />
          <button type="submit">Open the dashboard</button>
        </form>
      </main>
    );
  }

  const hours = rides?.perHour ?? [];
  const days = impact ?? [];
  const counts = (bikes ?? []).reduce<Record<string, number>>((tally, bike) => ({ ...tally, [bike.status]: (tally[bike.status] ?? 0) + 1 }), {});
  return (
    <div className="dashboard">
      <header>
        <h1>EcoWheels fleet operations</h1>
        <button type="button" onClick={() => { sessionStorage.removeItem(KEY_STORAGE); setApiKey(''); }}>
          Use another key
        </button>
      </header>
      {error ? <p role="alert" className="error">The last update failed: {error.message}. Retrying.</p> : null}
      <section aria-labelledby="fleet-title" className="fleet">
        <h2 id="fleet-title">Fleet ({bikes?.length ?? 0} bikes: {Object.entries(counts).map(([status, n]) => `${n} ${status.toLowerCase().replace('_', ' ')}`).join(', ')})</h2>
        <FleetMap bikes={bikes ?? []} />
        <details>
          <summary>The bikes as a table</summary>
          <div className="scroll">
          <table data-testid="bike-table">
            <thead>
              <tr><th scope="col">Bike</th><th scope="col">Status</th><th scope="col">Battery</th><th scope="col">Latitude</th><th scope="col">Longitude</th></tr>
            </thead>
            <tbody>
              {(bikes ?? []).map((bike) => (
                <tr key={bike.id} data-bike-id={bike.id}>
                  <td>{bike.model} <small>{bike.id.slice(0, 8)}</small></td>
                  <td>{bike.status.toLowerCase().replace('_', ' ')}</td>
                  <td>{bike.batteryPercent}%</td>
                  <td className="lat">{bike.location?.latitude.toFixed(5) ?? '—'}</td>
                  <td className="lon">{bike.location?.longitude.toFixed(5) ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </details>
      </section>
      <section aria-labelledby="rides-title">
        <h2 id="rides-title">Rides</h2>
        <p className="figure"><strong data-testid="rides-in-progress">{rides?.inProgress ?? '…'}</strong> in progress</p>
        <Chart title="Rides started per hour, last 24 hours" label="rides" spanSeconds={24 * 3600} stepSeconds={3600} xs={hours.map((hour) => Date.parse(hour.start) / 1000)} series={[{ label: 'started', values: hours.map((hour) => hour.started), colour: '#0550ae' }, { label: 'completed', values: hours.map((hour) => hour.completed), colour: '#1a7f37' }]} />
      </section>
      <section aria-labelledby="impact-title">
        <h2 id="impact-title">CO2 avoided</h2>
        <Chart title="CO2 avoided per day, kg (last 14 days)" label="kg CO2e" spanSeconds={14 * 86_400} stepSeconds={86_400} xs={days.map((day) => Date.parse(day.start) / 1000)} series={[{ label: 'kg CO2e avoided', values: days.map((day) => day.co2AvoidedGrams / 1000), colour: '#1a7f37' }]} />
      </section>
      <section aria-labelledby="ingest-title">
        <h2 id="ingest-title">Ingestion</h2>
        <dl className="figures">
          <div><dt>Readings per second</dt><dd data-testid="readings-per-second">{health ? health.readingsPerSecond.toFixed(1) : '…'}</dd></div>
          <div><dt>Waiting to be cleaned</dt><dd>{health?.waitingReadings ?? '…'}</dd></div>
          <div><dt>Ingest lag</dt><dd>{health ? `${health.lagSeconds.toFixed(1)} s` : '…'}</dd></div>
        </dl>
        <table>
          <caption>Rejects by reason, last hour</caption>
          <thead><tr><th scope="col">Rule</th><th scope="col">Count</th></tr></thead>
          <tbody>
            {(health?.rejectsLastHour ?? []).map((reject) => (
              <tr key={reject.rule}><td>{reject.rule}</td><td>{reject.count}</td></tr>
            ))}
            {health && health.rejectsLastHour.length === 0 ? <tr><td colSpan={2}>none</td></tr> : null}
          </tbody>
        </table>
      </section>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Dashboard />
  </StrictMode>,
);
