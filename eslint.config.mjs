// Type-aware typescript-eslint (flat config). Prettier formats; ESLint only checks code.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'test/*.js', 'test/support/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
      'object-shorthand': 'error',
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read options through APP_OPTIONS (libs/common config).' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/common/src/*', '**/libs/common/src/*'], message: 'Import from @app/common only.' },
            { group: ['**/apps/*/src/*', '../../*/src/*'], message: 'Apps never import another app.' },
          ],
        },
      ],
    },
  },
  {
    // A cycle between modules makes load order decide what an import sees (an `undefined` class in
    // Nest's DI, a half-initialised constant): one direction of every pair must go. Type-only
    // imports are erased at build time and are not followed.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/resolver-next': [
        createNodeResolver({
          tsconfig: { configFile: `${import.meta.dirname}/tsconfig.json` },
          extensions: ['.ts', '.js', '.mjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // A data proxy session changes only through SessionStore's intent methods, which journal each
    // change (ADR 0001). Session's own transitions and its few writable fields are the store's; the
    // type system cannot keep the specs (which build states by hand) out, so this rule keeps the
    // rest of the app out.
    files: ['apps/data-proxy/src/**/*.ts'],
    ignores: ['apps/data-proxy/src/sessions/**', '**/*.spec.ts', '**/*.fixtures.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='persist']",
          message: 'Change a session through a SessionStore intent method; it journals the change itself.',
        },
        {
          selector:
            "CallExpression[callee.property.name=/^(touch|takeRequestIndex|reward|markReady|removeReady|markDelivered|insert)$/]:not([callee.object.property.name='sessions'])",
          message: "Session transitions are SessionStore's: call the store's intent method (this.sessions.<intent>).",
        },
        {
          selector: 'AssignmentExpression[left.property.name=/^(reward|groupId|lastAccess|pendingReward)$/]',
          message: 'Change a session through a SessionStore intent method; it journals the change itself.',
        },
      ],
    },
  },
  {
    // Nest DI needs value imports of injected classes: type-only imports would erase the metadata.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: [
      'libs/common/src/bootstrap/**',
      '**/config/**',
      'test/**',
      'bench/**',
      'scripts/**',
      'deploy/**',
      '**/*.spec.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read JSON answers loosely on purpose; assertions check their shape.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // What a browser loads (the dashboard's script): type-checked against the DOM by its own
    // tsconfig.json; the console is where a page reports what it cannot draw.
    files: ['apps/*/src/**/public/**/*.ts'],
    rules: { 'no-console': 'off' },
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Scripts drive the built apps from outside, and the architecture specs read every app's
    // modules; the app boundary rule is for app code.
    files: ['scripts/**', 'bench/**', 'test/architecture/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The request-surface suites build the data proxy in-process, as its main.ts does, to see what
    // it asks the engine (as the data proxy's own specs do); they import its app definition.
    files: ['test/e2e/surface/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/common/src/*', '**/libs/common/src/*'], message: 'Import from @app/common only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'test/support/*.js', 'bench/**', 'deploy/**', 'bin/**'],
    rules: { 'no-console': 'off' },
    languageOptions: { globals: globals.node },
  },
  prettier,
);
