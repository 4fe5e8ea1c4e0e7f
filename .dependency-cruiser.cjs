/**
 * Import rules for everything under packages/, checked by packages/server/src/architecture.test.ts
 * (and `npm run lint`). Why these rules: docs/decisions/0008-module-ownership.md.
 *
 * Type-only imports count (a type-only cycle is still a cycle). dependency-cruiser's usual switch for
 * that, tsPreCompilationDeps, needs the TypeScript compiler API, which TypeScript 7 no longer ships;
 * the swc parser reads the sources as written and keeps `import type` edges anyway (marked
 * "type-only"), so it is used instead and the switch is left off. The architecture test proves on a
 * fixture that a type-only cycle is still caught.
 */
const SERVER = '^packages/server/src';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, type-only imports included: the files cannot be understood (or moved) one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-foreign-tables',
      severity: 'error',
      comment: "A module reaches another module's data only through that module's exported functions, never its tables.ts.",
      from: { path: `${SERVER}/modules/([^/]+)/` },
      to: { path: `${SERVER}/modules/[^/]+/tables[.]ts$`, pathNot: `${SERVER}/modules/$1/` },
    },
    {
      name: 'no-modules-to-http',
      severity: 'error',
      comment: 'Modules (route files included) sit below the HTTP layer; shared route schemas live in lib/.',
      from: { path: `${SERVER}/modules/` },
      to: { path: `${SERVER}/http/` },
    },
    {
      name: 'no-lib-to-modules',
      severity: 'error',
      comment: 'lib/ is small, pure and shared: it knows no module.',
      from: { path: `${SERVER}/lib/` },
      to: { path: `${SERVER}/modules/` },
    },
    {
      name: 'only-composition-imports-adapters',
      severity: 'error',
      comment:
        'Concrete adapters (src/providers/<vendor>/, the in-tree sandbox-… / no-… providers and the chain adapters) are built in one place, ' +
        'src/providers.ts, from configuration; everything else sees only the interfaces its module owns.',
      from: { path: `${SERVER}/`, pathNot: [`${SERVER}/providers[.]ts$`, `${SERVER}/providers/`, '[.]test[.]ts$'] },
      to: { path: `${SERVER}/(providers/|modules/[^/]+/(sandbox|no|evm)-[a-z-]+-(provider|addresses|adapter)[.]ts$)` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Built bundles (committed dist/) are output, not sources: their chunks import each other by design.
    exclude: { path: ['node_modules', '^packages/[^/]+/dist/'] },
    parser: 'swc',
    moduleSystems: ['es6', 'cjs'],
  },
};
