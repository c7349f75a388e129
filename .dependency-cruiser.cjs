/**
 * The layers of the conventions ("The house: one direction of flow"), held by `npm test`:
 *
 *   main.ts, bin/*  ->  app.ts  ->  server.ts  ->  context.ts  ->  graphql/
 *     ->  <feature>/*.service.ts  ->  <feature>/*.repository.ts  ->  db/
 *
 * Imports point down this list. Type-only imports count too (tsPreCompilationDeps): a type
 * import up the layers couples the layers as much as a value import does. The one accepted
 * exception is Pothos's Context type, which the builder must name (see `up-to-context`).
 */

// The engine's npm packages: SQL and its values live in repositories and src/db/ only.
const DATABASE_PACKAGES = '^(node_modules/)?(kysely|pg|pg-[a-z-]+|pgvector)(/|$)';
// A .sql.ts file holds SQL fragments that repositories compose (a metadata filter's predicate).
const REPOSITORY_OR_DB = ['\\.repository\\.ts$', '\\.sql\\.ts$', '^src/db/'];
const FEATURES = '^src/(auth|demo|documents|embeddings|ingest|search|tenants)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circle, type-only ones included: a circle has no layer order.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'graphql-not-db',
      severity: 'error',
      comment: 'Resolvers call services; they never reach repositories or the database.',
      from: { path: '^src/graphql/' },
      to: { path: ['^src/db/', '\\.repository\\.ts$'] },
    },
    {
      name: 'graphql-only-from-the-server',
      severity: 'error',
      comment:
        'Services, repositories, db/ and observability never import graphql/: only the server ' +
        '(and the app and CLIs that build it) does. Pass what they need in instead.',
      from: { path: '^src/', pathNot: ['^src/graphql/', '^src/server\\.ts$', '^src/app\\.ts$', '^src/bin/'] },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'features-not-graphql-packages',
      severity: 'error',
      comment: 'Services and what they use speak domain types and AppError, never GraphQL.',
      from: { path: [FEATURES, '^src/db/'] },
      to: { path: '^(node_modules/)?(graphql|graphql-yoga|@pothos/[a-z-]+|@graphql-yoga/[a-z-]+)(/|$)' },
    },
    {
      name: 'database-packages-below-repositories',
      severity: 'error',
      comment:
        'Only repositories and src/db/ import kysely, pg or pgvector, types included: above them ' +
        'code passes Db (src/db/database.ts) and domain types, never Kysely builders.',
      from: {
        path: '^src/',
        pathNot: REPOSITORY_OR_DB,
      },
      to: { path: DATABASE_PACKAGES },
    },
    {
      name: 'declared-packages-only',
      severity: 'error',
      comment:
        'A package src/ imports is declared in package.json: a transitive dependency can change ' +
        'or vanish with its parent.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-private-package-paths',
      severity: 'error',
      comment: "pg's internals (pg/lib/*) are not its API: import what its entry point exports.",
      from: { path: '^src/' },
      to: { path: '^(node_modules/)?pg/lib/' },
    },
    {
      name: 'repositories-not-services',
      severity: 'error',
      comment: 'A repository runs SQL for a service; it never calls one.',
      from: { path: REPOSITORY_OR_DB },
      to: { path: '\\.service\\.ts$' },
    },
    {
      name: 'db-not-features',
      severity: 'error',
      comment: 'src/db/ is the bottom layer: the engine, Kysely and SQLSTATE mapping know no feature.',
      from: { path: '^src/db/' },
      to: { path: [FEATURES, '\\.repository\\.ts$'] },
    },
    {
      name: 'up-to-context',
      severity: 'error',
      comment:
        'The only import back up the layers: Pothos needs the Context type in graphql/builder.ts ' +
        '(type-only). Everything else in graphql/ takes it from the builder.',
      from: { path: '^src/', pathNot: ['^src/graphql/builder\\.ts$', '^src/server\\.ts$', '^src/app\\.ts$', '^src/bin/', '^src/main\\.ts$'] },
      to: { path: '^src/context\\.ts$' },
    },
    {
      name: 'up-to-context-value',
      severity: 'error',
      comment: 'The builder imports only the Context type from context.ts, never a value.',
      from: { path: '^src/graphql/builder\\.ts$' },
      to: { path: '^src/context\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'up-to-entry-points',
      severity: 'error',
      comment: 'main.ts, bin/*, app.ts and server.ts wire everything: nothing below imports them.',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/bin/', '^src/app\\.ts$'] },
      to: { path: ['^src/main\\.ts$', '^src/bin/', '^src/app\\.ts$', '^src/server\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
