export * from './kernel.js';
export { loadConfig, type Config } from './boot/config.js';
export * from './errors.js';
