// Unit tests (`*.spec.ts` beside the code). Native ES modules (Nest 12 ships ESM only), TypeScript
// compiled by SWC with decorator metadata, the `@app/common` alias mapped to the source.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2022',
    keepClassNames: true,
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export const baseConfig = {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
  moduleNameMapper: {
    '^@app/common$': '<rootDir>/libs/common/src/index.ts',
    '^@app/common/testing$': '<rootDir>/libs/common/src/testing/index.ts',
    '^@app/common/lite$': '<rootDir>/libs/common/src/lite.ts',
    '^@app/tokenizer$': '<rootDir>/libs/tokenizer/src/index.ts',
    '^@app/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFiles: ['reflect-metadata'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  setupFilesAfterEnv: ['<rootDir>/test/support/silence-nest-logger.ts'],
};

export default {
  ...baseConfig,
  testMatch: [
    '<rootDir>/apps/**/*.spec.ts',
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/test/deploy/**/*.spec.ts',
    '<rootDir>/test/repository/**/*.spec.ts',
    '<rootDir>/test/architecture/**/*.spec.ts',
  ],
  // Jest's default (cores − 1) runs the suite in one process on a 2-core machine (CI's): two
  // workers there halve its time (10 → 5 minutes). At most 4: a worker grows to 3–4 GB over the
  // suite (native ES modules in Jest's VM contexts).
  maxWorkers: Math.min(4, availableParallelism()),
};
