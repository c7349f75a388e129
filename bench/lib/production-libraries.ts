// Imported first by benchmarks that time the GraphQL layer, before anything loads graphql-js.
// graphql-js reads NODE_ENV once, when it loads, and outside production every instanceof check it
// makes also compares class names to catch a second copy of the library (about a tenth of yoga's
// own CPU per search request, profiled). A deployed server runs with NODE_ENV=production, so the
// benchmark's libraries do too; the server's configuration is set apart (bench-config.ts).
process.env.NODE_ENV = 'production';
