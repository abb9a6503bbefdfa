// Tests are written in TypeScript and run from the tsc output in dist/, so that jest executes
// exactly the ES modules the CLI ships (ink is ESM-only; no second transpiler to keep in step).
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  moduleFileExtensions: ['js', 'json'],
  transform: {},
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/closing-line-reporter.cjs'],
};
