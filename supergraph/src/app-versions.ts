// `npm run app:publish -- --app rider-app --version 1.4.0 --manifest path/to/manifest.json`
//   checks the manifest against the API schema the gateway serves (the committed supergraph's),
//   copies it to supergraph/app-manifests/<app>/<version>.json and records the version live.
// `npm run app:retire -- --app rider-app --version 1.0.0`
//   marks a version retired: the gateway stops serving its operations, the schema checks ignore it.
// Commit the result and open a pull request: the manifest is reviewed beside the schema.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PublishRefused, publishVersion, retireVersion } from './app-publishing';
import { apiSchemaOf } from './composition';
import { SUPERGRAPH_FILE } from './subgraphs';

const USAGE = 'usage: app-versions.ts publish --app <name> --version <x.y.z> --manifest <file> | retire --app <name> --version <x.y.z>';

try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { app: { type: 'string' }, version: { type: 'string' }, manifest: { type: 'string' } },
  });
  const [command] = positionals;
  const { app, version, manifest } = values;
  if (!app || !version || (command === 'publish' && !manifest) || !['publish', 'retire'].includes(command)) throw new PublishRefused(USAGE);
  console.log(
    command === 'publish'
      ? publishVersion({ app, version, manifestText: readFileSync(manifest!, 'utf8'), schema: apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8')) })
      : retireVersion({ app, version }),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
