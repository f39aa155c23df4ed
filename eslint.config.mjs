// `npm test` lints before it runs a test: type-aware rules for what the compiler lets through (a
// promise nobody awaits, a promise where a callback is expected, code nobody uses) and a check that
// every package the code imports is declared in package.json. Style is left to the reviewers.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist.next/', 'dist.previous/', 'dist.test/', 'services/platform/src/generated/', 'supergraph/clients/rider-app/src/generated/', '.data/', 'test-results/', 'bench/results/', 'coverage/'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    // Our own imports name TypeScript files without their extension.
    settings: { 'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })] },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      // What a library marks @deprecated (zod 4's z.string().uuid() and the like) goes in its next major.
      '@typescript-eslint/no-deprecated': 'error',
      // Build-time code may use devDependencies (they are not in the images): tests, generators, the
      // supergraph's composition (`npm run compose`), the reference app clients and the build itself. Anything a workload imports
      // must be a production dependency.
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: ['test/**', 'mesh-config/**', 'web/**', 'supergraph/clients/**', 'eslint.config.mjs', 'services/local-stack/src/build.ts', 'supergraph/src/compose.ts', 'supergraph/src/composition.ts'] },
      ],
      // Dependencies point inward (STYLE.md): a service's rules know no adapter and no generated contract,
      // and no workload knows the launcher that runs them on a laptop.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './services/*/src/domain/**/*',
              from: ['./services/*/src/store/**', './services/*/src/grpc/**', './services/*/src/graphql/**', './services/*/src/doors/**', './services/*/src/bus/**', './services/*/src/zones/**', './services/*/src/providers/**', './services/platform/src/generated/**'],
              message: 'domain/ imports no adapter: give it a port (an interface in domain/) that the adapter implements',
            },
            { target: ['./services/!(local-stack)/**/*', './supergraph/**/*'], from: './services/local-stack', message: 'workloads run without the launcher (it is not in their images)' },
          ],
        },
      ],
    },
  },
);
