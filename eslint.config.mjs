// `npm test` lints before it runs a test: type-aware rules for what the compiler lets through (a
// promise nobody awaits, a promise where a callback is expected, code nobody uses) and a check that
// every package the code imports is declared in package.json. Style is left to the reviewers.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'services/platform/src/generated/', '.data/', 'test-results/', 'bench/results/', 'coverage/'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: ['test/**', 'mesh-config/**', 'web/**', 'eslint.config.mjs', 'services/local-stack/src/build.ts'] }],
    },
  },
);
