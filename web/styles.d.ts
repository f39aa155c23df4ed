// The pages import their style sheets for their side effect (esbuild bundles them: web/build.ts).
// TypeScript 7 checks that a side-effect import names a module it knows; a style sheet is one.
declare module '*.css';
