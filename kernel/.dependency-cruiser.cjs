/**
 * The kernel's layering rules (issue #15 item 7; docs/architecture.md, "Layering"),
 * checked by dependency-cruiser over src/: `npm run layering`, and in the suite by
 * test/layering.test.ts.
 *
 * - No import cycle anywhere in src/. Type-only imports count
 *   (tsPreCompilationDeps), and so do dynamic ones.
 * - Pure modules — the DSL, later the workflow graph and engine, the chunkers and
 *   the retrieval fusion — import only each other, the pure kernel leaves below,
 *   @tessera/sdk's main entry and the pure libraries listed here: no Node
 *   built-in, no database, HTTP or Redis client, no kernel shell.
 */

/** Pure modules: today's and the folders reserved for the engines (docs/architecture.md). */
const PURE = [
  '^src/apps/dsl/(dsl|common|model-config|workflow)\\.ts$',
  '^src/workflows/graph/',
  '^src/workflows/engine/',
  '^src/workflows/nodes/',
  '^src/knowledge/indexing/chunk/',
  '^src/knowledge/retrieval/fusion',
];

/**
 * Kernel files a pure module may import because they are pure themselves; they
 * are held to the same rules, so they stay so: errors.ts and errors/ (the coded
 * business errors and their catalogue, data only) and apps/config.ts (the app
 * config's shape and normalizer).
 */
const PURE_LEAVES = ['^src/errors\\.ts$', '^src/errors/', '^src/apps/config(-schema)?\\.ts$', '^src/schema-check\\.ts$'];

/** npm packages with no I/O that pure modules may use; add one here deliberately. */
const PURE_LIBRARIES = [
  '(^|/)node_modules/yaml/',
  '(^|/)node_modules/@sinclair/typebox/',
  // @tessera/sdk's main entry only (the workspace link resolves to ../sdk): not
  // /runtime, /testing, /signing or /publishing, which use Node.
  '^(\\.\\./)+sdk/dist/index\\.(d\\.ts|js)$',
  '(^|/)node_modules/@tessera/sdk/dist/index\\.(d\\.ts|js)$',
];

/** The shells a pure module must not reach: I/O libraries and the kernel's own imperative folders. */
const SHELLS = [
  '(^|/)node_modules/(knex|knex-pglite|objection|pg|pg-[^/]+|@electric-sql/[^/]+|koa|@koa/[^/]+|ioredis|bee-queue|busboy|nodemailer|pacote|tar|pino|piscina|isolated-vm|argon2)/',
  '^src/(db|http|identity|plugins|models|jobs|events|boot|marketplace|security|service-api|openai-api|cli)(/|\\.ts$)',
  '^src/(kernel|index|cli|logger)\\.ts$',
];

const PURE_MODULES = [...PURE, ...PURE_LEAVES];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle (type-only and dynamic imports included). Cut it by moving the shared type into a leaf module.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-no-node-builtins',
      comment: 'A pure module (DSL, workflow graph/engine, chunkers, fusion) imports a Node built-in.',
      severity: 'error',
      from: { path: PURE_MODULES },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-no-shells',
      comment: 'A pure module imports the database, HTTP, Redis or another kernel shell.',
      severity: 'error',
      from: { path: PURE_MODULES },
      to: { path: SHELLS },
    },
    {
      name: 'pure-only-allowed',
      comment: 'A pure module imports something outside the pure modules, the pure kernel leaves, @tessera/sdk and the listed pure libraries (kernel/.dependency-cruiser.cjs).',
      severity: 'error',
      from: { path: PURE_MODULES },
      to: { dependencyTypesNot: ['core'], pathNot: [...PURE_MODULES, ...PURE_LIBRARIES, ...SHELLS] },
    },
  ],
  options: {
    // Neither npm packages nor the sibling workspaces (../sdk, ../marketplace) are cruised.
    doNotFollow: { path: ['node_modules', '^\\.\\./'] },
    tsPreCompilationDeps: true,
    detectProcessBuiltinModuleCalls: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
