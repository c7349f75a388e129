// graphql-js reads NODE_ENV once, when it loads, and outside production every instanceof check it
// makes also compares class names to catch a second copy of the library (about a tenth of yoga's
// own CPU per search request, profiled). A deployed server runs with NODE_ENV=production, so the
// benchmarks that time the GraphQL layer run their libraries that way too: their npm scripts set
// NODE_ENV=production before the process starts, since an ES module's imports all load before
// its first statement runs. The server's configuration is set apart (bench-config.ts).

/** Fails a benchmark that times the GraphQL layer when its libraries load in development mode. */
export function requireProductionLibraries(script: string): void {
  if (process.env.NODE_ENV === 'production') return;
  throw new Error(
    `NODE_ENV is "${process.env.NODE_ENV ?? ''}": run \`npm run ${script}\`, or set NODE_ENV=production, ` +
      'so graphql-js loads as a deployed server loads it (its development checks cost about a tenth of yoga\'s CPU per request)',
  );
}
