// `npm run client:codegen`: the rider app's build step for its GraphQL layer. From the operations
// in src/operations/ and the API schema of the committed supergraph it writes
//   src/generated/              typed documents and result types (graphql-codegen's client preset)
//   persisted-query-manifest.json   every operation as the client sends it, by id (Apollo's format,
//                                   made by @apollo/generate-persisted-query-manifest)
// Both are committed; test/contracts/rider-app-client.test.ts fails when either is stale.
// The manifest is what `npm run app:publish` takes (docs/api.md, "For app teams").
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { generatePersistedQueryManifest } from '@apollo/generate-persisted-query-manifest';
import { printApiSchema } from '../../src/composition';
import { SUPERGRAPH_FILE } from '../../src/subgraphs';
import { sortDefinitions } from './src/document-order';
import { APP_DIR, GENERATED_DIR, MANIFEST_FILE, OPERATIONS_DIR } from './paths';

const ROOT = join(APP_DIR, '..', '..', '..');

/**
 * Every file the build writes, by its path from the repository's root, with its content. The
 * operations are read from `operationsDir` (a test passes a changed copy).
 */
export async function buildRiderAppClient(operationsDir = OPERATIONS_DIR): Promise<Map<string, string>> {
  const operations = join(operationsDir, '*.graphql');
  const files = new Map<string, string>();
  const schema = printApiSchema(readFileSync(SUPERGRAPH_FILE, 'utf8'));
  const generated = await generate(
    {
      schema,
      documents: [operations],
      silent: true,
      generates: {
        [`${GENERATED_DIR}/`]: {
          preset: 'client',
          // The operations are .graphql files, so the typed documents are all the app needs:
          // no gql() tag and no fragment masking (fragments here only share selections).
          presetConfig: { fragmentMasking: false, gqlTagName: 'gql' },
          config: { useTypeImports: true, enumsAsTypes: true, skipTypename: false, avoidOptionals: { field: true, inputValue: false } },
        },
      },
    },
    false,
  );
  for (const file of generated) files.set(relative(ROOT, file.filename), file.content);

  // The same document transform the client runs (src/document-order.ts), so that each body is
  // byte for byte what the client prints, and its id the hash the gateway checks.
  const manifest = await generatePersistedQueryManifest({ documents: [operations], documentTransform: sortDefinitions }, undefined);
  files.set(relative(ROOT, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

/** Paths whose committed content differs from what the build makes now (missing ones too). */
export async function staleClientFiles(operationsDir = OPERATIONS_DIR): Promise<string[]> {
  const built = await buildRiderAppClient(operationsDir);
  const stale = [...built].filter(([path, content]) => {
    try {
      return readFileSync(join(ROOT, path), 'utf8') !== content;
    } catch {
      return true;
    }
  });
  // A file the build no longer makes is stale too (an operation's types left behind).
  const leftOver = existsSync(GENERATED_DIR) ? readdirSync(GENERATED_DIR).map((name) => relative(ROOT, join(GENERATED_DIR, name))).filter((path) => !built.has(path)) : [];
  return [...stale.map(([path]) => path), ...leftOver];
}

if (require.main === module) {
  buildRiderAppClient().then(
    (files) => {
      // The generated folder is the build's alone: a removed operation leaves no file behind.
      rmSync(GENERATED_DIR, { recursive: true, force: true });
      for (const [path, content] of files) {
        mkdirSync(dirname(join(ROOT, path)), { recursive: true });
        writeFileSync(join(ROOT, path), content);
        console.log(`wrote ${path}`);
      }
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
