// The GraphQL explorer the gateway serves at GET /graphql in development: GraphiQL (from npm,
// bundled by `npm run web`, nothing loaded from a CDN), with the demo API key in the headers, a
// button that logs in as the demo rider, the README's ride walkthrough as example tabs, and a line
// under the toolbar that shows how the last request went: sent as an automatic persisted query
// (and whether the gateway knew its hash) and the trace id to look up in Jaeger.
import { GraphiQL } from 'graphiql';
import type { Fetcher, FetcherParams, FetcherOpts } from '@graphiql/toolkit';
import type { ExecutionResult } from 'graphql';
import { StrictMode, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './explorer.css';
import { loadDemoSettings, type DemoSettings } from '../demo-settings';
import { EXAMPLE_TABS } from './examples';

interface LastRequest {
  persisted: 'off' | 'hit' | 'miss';
  hash?: string;
  traceId?: string;
  status: number;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Posts one operation; with `persist`, the Apollo APQ protocol: the hash first, the query only if the gateway asks for it. */
function makeFetcher(defaultKey: string | undefined, persist: () => boolean, report: (last: LastRequest) => void): Fetcher {
  return async (params: FetcherParams, options?: FetcherOpts) => {
    // The demo key unless the headers editor names another (GraphiQL's own schema fetch included).
    const headers = { 'content-type': 'application/json', ...(defaultKey ? { 'x-api-key': defaultKey } : {}), ...(options?.headers as Record<string, string> | undefined) };
    const post = async (body: object) => {
      const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify(body) });
      const json = (await response.json()) as ExecutionResult & { extensions?: { traceId?: string } };
      return { response, json };
    };
    const introspection = params.operationName === 'IntrospectionQuery';
    if (!persist() || introspection) {
      const { response, json } = await post(params);
      if (!introspection) report({ persisted: 'off', traceId: json.extensions?.traceId ?? response.headers.get('x-trace-id') ?? undefined, status: response.status });
      return json;
    }
    const hash = await sha256(params.query);
    const persistedQuery = { version: 1, sha256Hash: hash };
    const { query: _query, ...withoutQuery } = params;
    let { response, json } = await post({ ...withoutQuery, extensions: { persistedQuery } });
    const miss = json.errors?.some((error) => error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') ?? false;
    if (miss) ({ response, json } = await post({ ...params, extensions: { persistedQuery } }));
    report({ persisted: miss ? 'miss' : 'hit', hash, traceId: json.extensions?.traceId ?? response.headers.get('x-trace-id') ?? undefined, status: response.status });
    return json;
  };
}

function Explorer() {
  const [settings, setSettings] = useState<DemoSettings | undefined>(undefined);
  const [headers, setHeaders] = useState<string | undefined>(undefined);
  const [persist, setPersist] = useState(true);
  const [last, setLast] = useState<LastRequest | undefined>(undefined);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    void loadDemoSettings().then((loaded) => {
      setSettings(loaded);
      if (loaded.apiKey) setHeaders(JSON.stringify({ 'x-api-key': loaded.apiKey }, null, 2));
    });
  }, []);

  const persistRef = useRef(persist);
  persistRef.current = persist;
  const fetcher = useMemo(() => makeFetcher(settings?.apiKey, () => persistRef.current, setLast), [settings]);

  const logIn = async () => {
    if (!settings?.apiKey || !settings.demoRider) return;
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': settings.apiKey },
      body: JSON.stringify({
        query: 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token errors { message } } }',
        variables: settings.demoRider,
      }),
    });
    const json = (await response.json()) as { data?: { login: { token: string | null; errors: { message: string }[] } } };
    const token = json.data?.login.token;
    if (!token) {
      setNotice(`Login failed: ${json.data?.login.errors[0]?.message ?? response.status}`);
      return;
    }
    setHeaders(JSON.stringify({ 'x-api-key': settings.apiKey, authorization: `Bearer ${token}` }, null, 2));
    setNotice(`Logged in as ${settings.demoRider.email}: the token is in the headers.`);
  };

  return (
    <div className="explorer">
      <header className="explorer-bar">
        <h1>EcoWheels API explorer</h1>
        {settings?.demoRider ? (
          <button type="button" onClick={() => void logIn()}>
            Log in as the demo rider
          </button>
        ) : null}
        <label>
          <input type="checkbox" checked={persist} onChange={(event) => setPersist(event.target.checked)} /> Send as persisted queries (APQ)
        </label>
        <output aria-live="polite" data-testid="last-request">
          {notice}
          {last ? ` Last request: HTTP ${last.status}; ${last.persisted === 'off' ? 'sent in full' : `persisted query ${last.hash?.slice(0, 12)}… (${last.persisted === 'hit' ? 'the gateway knew it' : 'registered now'})`}; trace id ${last.traceId ?? 'none'}` : ''}
        </output>
      </header>
      <main className="explorer-main">
        {/* Mounted once the settings are known, so that its first schema fetch carries the key. */}
        {settings ? <GraphiQL fetcher={fetcher} headers={headers} defaultTabs={EXAMPLE_TABS} shouldPersistHeaders={false} isHeadersEditorEnabled /> : <p>Loading…</p>}
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
