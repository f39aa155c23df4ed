// The two pages the gateway serves to browsers, bundled by `npm run web` into supergraph/public:
// - the GraphQL explorer, at GET /graphql from a browser, in development only (like introspection);
//   /graphql/explorer/settings.json gives it the demo developer key and rider that `npm start` made, and
//   exists only when `npm start`'s launcher names their file (GATEWAY_DEMO_CREDENTIALS_FILE);
// - the fleet operations dashboard at /ops, which reads only the public API with an ops-scoped key.
// Both load nothing from anywhere else: a Content-Security-Policy allows this origin only.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

const PUBLIC_DIR = join(__dirname, '..', 'public');

/** Scripts, styles, fonts, images and API calls from this origin only; inline styles for the libraries' own. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebPageSettings {
  /** Production: no explorer and no demo settings. */
  production: boolean;
  /** The demo credentials `npm start` keeps, when its launcher names them; otherwise no settings at all. */
  demoCredentialsFile?: string;
}

const page = (name: string) => (_req: Request, res: Response) => {
  res.set({ 'content-security-policy': CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' }).sendFile(join(PUBLIC_DIR, name, 'index.html'));
};

const assets = (name: string) =>
  express.static(join(PUBLIC_DIR, name), {
    index: false,
    redirect: false, // /ops is the page itself, not a folder to redirect to
    setHeaders: (res) => res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY),
  });

/** What the pages read of the launcher's demo credentials (services/local-stack/src/demo-data.ts writes the file). */
interface DemoSettingsFile {
  apiKey?: string;
  developerApiKey?: string;
  opsApiKey?: string;
  riderEmail?: string;
  riderPassword?: string;
}

export function webPages(settings: WebPageSettings): Router {
  const router = express.Router();
  router.use('/ops', assets('ops'));
  router.get('/ops', page('ops'));
  if (settings.production) return router;
  const { demoCredentialsFile } = settings;
  if (demoCredentialsFile) {
    router.get('/graphql/explorer/settings.json', (_req, res) => {
      const demo = existsSync(demoCredentialsFile) ? (JSON.parse(readFileSync(demoCredentialsFile, 'utf8')) as DemoSettingsFile) : {};
      res.set('cache-control', 'no-store').json({
        // The explorer sends any document: the developer key, where the launcher made one.
        apiKey: demo.developerApiKey ?? demo.apiKey,
        opsApiKey: demo.opsApiKey,
        demoRider: demo.riderEmail && demo.riderPassword ? { email: demo.riderEmail, password: demo.riderPassword } : undefined,
      });
    });
  }
  router.use('/graphql/explorer', assets('explorer'));
  // A browser opening the endpoint (not an API call: those POST, or GET with a query).
  router.get('/graphql', (req, res, next) => {
    if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    page('explorer')(req, res);
  });
  return router;
}
