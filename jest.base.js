// Shared Jest settings: SWC strips types (tsc --noEmit checks them separately). Dynamic import() is kept as
// it is, and the test scripts run Jest with --experimental-vm-modules: libxml2-wasm (XSD validation in
// xcap-server, which other packages' tests start) is an ES module that CommonJS code loads with import().
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
};
