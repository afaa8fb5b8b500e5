// The shared settings, but dynamic import() kept as it is: libxml2-wasm is an ES module, which Jest loads
// through Node's VM modules (the test script runs Jest with --experimental-vm-modules).
const base = require('../../jest.base.js');
const [pattern, [swc, options]] = Object.entries(base.transform)[0];
module.exports = {
  ...base,
  transform: { [pattern]: [swc, { ...options, module: { ...options.module, ignoreDynamic: true } }] },
};
