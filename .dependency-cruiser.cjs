/**
 * The dependency rule of the server (npm test runs it: packages/server/src/dependencies.test.ts).
 * A module reaches another only through its service; nothing forms a cycle.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'Modules depend one way (see the diagram in ARCHITECTURE.md); a cycle means two modules are one, or one needs a hook. ' +
        'The one exception: a module names the registry type (wiring.ts) its wiring() returns, and the registry installs it.',
      from: {},
      to: { circular: true, viaOnly: { pathNot: '^packages/server/src/wiring\\.ts$' } },
    },
    {
      name: 'no-foreign-repository',
      severity: 'error',
      comment: "A module's repository (its queries) is its own: other modules call the module's service.",
      from: { path: '^packages/server/src/modules/([^/]+)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/modules/([^/]+)/.+\\.repository\\.ts$', pathNot: '^packages/server/src/modules/$1/' },
    },
    {
      name: 'no-foreign-tables',
      severity: 'error',
      comment: "A module's table types are its own (db/schema.ts assembles them).",
      from: { path: '^packages/server/src/modules/([^/]+)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/server/src/modules/([^/]+)/.+\\.tables\\.ts$', pathNot: '^packages/server/src/modules/$1/' },
    },
    {
      name: 'no-modules-from-infrastructure',
      severity: 'error',
      comment: 'http/, db/, lib/ and crypto/ are below the modules: they never import a module.',
      from: {
        path: '^packages/server/src/(http|db|lib|crypto)/',
        pathNot: [
          '\\.test\\.ts$',
          // Assembles the tables each module declares.
          '^packages/server/src/db/schema\\.ts$',
          // The access layer turns a bearer credential into an actor through the auth module.
          '^packages/server/src/http/auth\\.ts$',
          // The Fastify instance type carries the built services (types only).
          '^packages/server/src/http/types\\.ts$',
        ],
      },
      to: { path: '^packages/server/src/modules/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '\\.test\\.ts$', '/testing/', '/dist/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
