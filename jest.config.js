/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // middy and a few deps ship ESM only: let swc turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  // State-machine and end-to-end tests run real executions; a generous ceiling keeps a loaded CI machine from failing them.
  testTimeout: 60_000,
  // A failing suite ends the run at once instead of leaving the rest (minutes of e2e) to finish first.
  bail: 1,
};
