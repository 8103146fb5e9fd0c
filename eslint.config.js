// ESLint for src, test, bench and demo (type-checked, through tsconfig.json) and
// public/ (browser JavaScript, not type-checked). Formatting is Prettier's job
// (.prettierrc.json): no rule here is about layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', '.demo/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // node:test's describe() and it() return promises that the runner itself
      // awaits; every other promise must be awaited, returned, or marked `void`.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      // Rethrowing or rejecting with a caught error (typed `unknown`) passes on
      // what something else threw; the rules still refuse strings and objects
      // that this code would make up itself.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `_name` marks a deliberately unused parameter or binding; a rest sibling
      // (`const { secret, ...rest } = x`) is how an object drops a field.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // An async function without await is how this code implements a
      // Promise-returning interface synchronously (the in-memory stores, the test
      // OP's adapter), and it turns a synchronous throw into a rejection, which
      // the callers expect. The rule finds no defect, only that pattern.
      '@typescript-eslint/require-await': 'off',
      // The input checks reject control characters on purpose
      // (/[\u0000-\u001f\u007f]/); in this code such a range is never a typo.
      'no-control-regex': 'off',
      // Beyond recommendedTypeChecked, rules that each catch a class of real defects:
      // `return promise` inside try/catch skips the catch; await it there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union must handle every member (or say `default`).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Deprecated APIs (Node, Express, node-redis, jose, openid-client) are named
      // before they go. openid-client marks allowInsecureRequests deprecated only
      // "to make it stand out"; it is not going away, and BFF_ALLOW_HTTP guards it.
      '@typescript-eslint/no-deprecated': [
        'error',
        { allow: [{ from: 'package', package: 'openid-client', name: 'allowInsecureRequests' }] },
      ],
      // == only against null, where it means null-or-undefined.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Tests read what supertest's res.body (typed `any`), JSON.parse and Redis
    // return, and assert on its shape: a wrong shape fails the assertion on the
    // next line, so the `any` flows the unsafe-* rules track are the test's
    // subject, not a hole. The fixtures and helpers the tests share stay strict.
    files: ['test/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // JavaScript (this file, public/app.js) is outside tsconfig.json: lint it without types.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
