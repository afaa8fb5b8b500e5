#!/usr/bin/env node
// Committed launcher, so that npm links the command at install time, before dist/ is built.
let cli;
try {
  cli = require('../dist/cli.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('testbed: the package is not built yet: run npm run build\n');
    process.exit(1);
  }
  throw e;
}
cli.main();
