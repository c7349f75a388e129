import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": Node loads index.js, while Vite would pick index.mjs for our
    // sources. Two copies break graphql's instanceof checks, so tests load what Node loads.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own engine (PGlite in WASM) and app; allow for a slow, shared machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
