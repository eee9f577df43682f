// Lint rules for every script of the project: the TypeScript (typescript-eslint's recommended set,
// tuned to the code as it is written) and the JavaScript of the scripts, tests and model checks
// (eslint's recommended set, Node's globals). Formatting is prettier's job (npm run format).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'models/', '.vscode-test/', '.test-artifacts/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused arguments named with a leading underscore are kept for the signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Non-null assertions mark invariants the types cannot express (a checked index, a set field).
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  {
    // The scripts: ES modules on Node (bin/ is CommonJS); the page bridge also runs code in the browser.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
  {
    // The end-to-end tests hand functions to the browser (page.evaluate) that run there.
    files: ['test/vscode/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Tests edit untyped JSON (model.json, NDJSON lines) and match terminal escape sequences.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
);
