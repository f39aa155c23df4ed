// `npm run web`: bundles the two pages the gateway serves in the browser, the GraphQL explorer and
// the operations dashboard, into supergraph/public/ with esbuild: every library from npm, nothing
// loaded from a CDN at run time. The output is committed, and a test fails when it is stale.
// `--check` builds in memory and exits 1 if the committed files differ.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type OutputFile, type Plugin } from 'esbuild';

const ROOT = join(__dirname, '..');
export const PUBLIC_DIR = join(ROOT, 'supergraph', 'public');

interface Page {
  name: string;
  title: string;
  entry: string;
  /** Where the gateway serves the page's files (supergraph/src/web-pages.ts). */
  assetsPath: string;
}

export const PAGES: Page[] = [
  { name: 'explorer', title: 'EcoWheels API explorer', entry: join(ROOT, 'web', 'explorer', 'main.tsx'), assetsPath: '/graphql/explorer' },
  { name: 'ops', title: 'EcoWheels fleet operations', entry: join(ROOT, 'web', 'ops', 'main.tsx'), assetsPath: '/ops' },
];

/**
 * GraphiQL's stylesheet carries its two web fonts (Roboto, Fira Code: 34 faces, 360 KB of its 418)
 * as data URLs. The explorer leaves them out and uses the system's fonts: a third of the size.
 */
const withoutWebFonts: Plugin = {
  name: 'without-web-fonts',
  setup(esbuild) {
    esbuild.onLoad({ filter: /graphiql[\\/]dist[\\/]style\.css$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/@font-face\s*\{[^}]*\}/g, ''),
      loader: 'css',
    }));
  },
};

const options = (page: Page): BuildOptions => ({
  entryPoints: { [page.name]: page.entry },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Small images inline; fonts as files of their own, fetched only when a page uses them.
  loader: { '.png': 'dataurl', '.svg': 'dataurl', '.woff': 'file', '.woff2': 'file', '.ttf': 'file' },
  assetNames: 'assets/[name]-[hash]',
  legalComments: 'linked',
  write: false,
  outdir: join(PUBLIC_DIR, page.name),
  logLevel: 'warning',
  plugins: [withoutWebFonts],
});

const html = (page: Page) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${page.title}</title>
    <link rel="stylesheet" href="${page.assetsPath}/${page.name}.css" />
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="${page.assetsPath}/${page.name}.js"></script>
  </body>
</html>
`;

/** Every file of the two pages, by path under supergraph/public, as the build makes them. */
export async function buildPages(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const page of PAGES) {
    const result = await build(options(page));
    for (const file of result.outputFiles as OutputFile[]) files.set(file.path.slice(PUBLIC_DIR.length + 1), Buffer.from(file.contents));
    files.set(`${page.name}/index.html`, Buffer.from(html(page)));
  }
  return files;
}

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The paths whose committed copy is missing or differs from a fresh build. */
export async function stalePages(): Promise<string[]> {
  const built = await buildPages();
  return [...built.entries()].filter(([path, data]) => !existsSync(join(PUBLIC_DIR, path)) || digest(readFileSync(join(PUBLIC_DIR, path))) !== digest(data)).map(([path]) => path);
}

async function main(): Promise<void> {
  if (process.argv.includes('--check')) {
    const stale = await stalePages();
    if (stale.length > 0) {
      console.error(`stale or missing (run npm run web): ${stale.join(', ')}`);
      process.exit(1);
    }
    return;
  }
  const built = await buildPages();
  for (const page of PAGES) rmSync(join(PUBLIC_DIR, page.name), { recursive: true, force: true });
  for (const [path, data] of built) {
    mkdirSync(join(PUBLIC_DIR, path, '..'), { recursive: true });
    writeFileSync(join(PUBLIC_DIR, path), data);
    console.log(`wrote supergraph/public/${path} (${(data.length / 1024).toFixed(0)} KiB)`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
