// Unit tests (`*.spec.ts` beside the code). Native ES modules (Nest 12 ships ESM only), TypeScript
// compiled by SWC with decorator metadata, the `@app/common` alias mapped to the source.
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
};
