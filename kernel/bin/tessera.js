#!/usr/bin/env -S node --no-node-snapshot
// A committed shim, so npm can link the bin before the build has produced dist/ (fresh clones).
await import('../dist/cli.js');
