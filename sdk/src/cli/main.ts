#!/usr/bin/env node
/**
 * Entry point of the `tessera-plugin` executable.
 *
 * @module
 */

import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2));
