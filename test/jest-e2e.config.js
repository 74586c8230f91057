// End-to-end tests: real processes started from dist/ (build first), real HTTP on loopback.
import { baseConfig } from '../jest.config.js';

export default {
  ...baseConfig,
  rootDir: '..',
  testMatch: [
    '<rootDir>/test/e2e/**/*.e2e-spec.ts',
    '<rootDir>/test/fuzz/**/*.fuzz-spec.ts',
    '<rootDir>/test/chaos/**/*.chaos-spec.ts',
  ],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // A hook that starts services waits for each up to START_TIMEOUT_MS (test/support/spawn-app.ts).
  testTimeout: 60000,
};
