/**
 * `@tessera/sdk/testing` — node-only: run a built plugin in the kernel's
 * isolate runtime from a test, with the grants the test chooses.
 *
 * @packageDocumentation
 */
export * from './test-host.js';
export * from './memory-capabilities.js';
