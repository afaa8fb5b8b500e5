#!/usr/bin/env node
// Sums the Jest JSON results of every workspace (test-results.json) and prints "N passed, N failed".
// A suite that failed to run counts as one failure, so a crash can never read as green.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dirs = [
  ...(existsSync(join(root, 'packages')) ? readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)) : []),
  join(root, 'e2e'),
];
let passed = 0;
let failed = 0;
for (const dir of dirs) {
  const file = join(dir, 'test-results.json');
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  if (r.numTotalTests === 0) failed += 1;
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
