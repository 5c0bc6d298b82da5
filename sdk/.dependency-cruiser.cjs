/**
 * The SDK's layering rules (issue #15 item 7; docs/architecture.md, "Layering"),
 * checked by dependency-cruiser over src/: `npm run layering`, and in the suite by
 * test/layering.test.ts.
 *
 * - No import cycle anywhere in src/. Type-only imports count
 *   (tsPreCompilationDeps), and so do dynamic ones.
 * - The contract — what `@tessera/sdk` exports, which the kernel's pure modules
 *   import — uses no Node built-in, none of the Node-only parts below and no npm
 *   package but the listed pure ones.
 */

/**
 * The SDK's Node-only parts, each its own entry point: the runtimes
 * (`@tessera/sdk/runtime`), the CLI (bin/tessera-plugin), the test harness
 * (`@tessera/sdk/testing`) and package signing (`/signing`, `/publishing`).
 */
const NODE_PARTS = ['^src/(runtime|cli|testing)/', '^src/(signing|publishing)\\.ts$'];

/** npm packages with no I/O that the contract may use; add one here deliberately. */
const PURE_LIBRARIES = ['(^|/)node_modules/@sinclair/typebox/'];

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
      name: 'contract-no-node-builtins',
      comment: 'A module of the @tessera/sdk contract imports a Node built-in; only runtime/, cli/, testing/, signing.ts and publishing.ts may.',
      severity: 'error',
      from: { path: '^src/', pathNot: NODE_PARTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'contract-not-node-parts',
      comment: 'A module of the @tessera/sdk contract imports a Node-only part of the SDK (runtime/, cli/, testing/, signing, publishing).',
      severity: 'error',
      from: { path: '^src/', pathNot: NODE_PARTS },
      to: { path: NODE_PARTS },
    },
    {
      name: 'contract-only-pure-libraries',
      comment: 'A module of the @tessera/sdk contract imports an npm package outside the listed pure libraries (sdk/.dependency-cruiser.cjs).',
      severity: 'error',
      from: { path: '^src/', pathNot: NODE_PARTS },
      to: { dependencyTypesNot: ['core'], pathNot: ['^src/', ...PURE_LIBRARIES] },
    },
  ],
  options: {
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
