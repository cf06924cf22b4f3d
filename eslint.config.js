import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tmp/**', 'bench/results/**', 'dist/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // The arrows point one way: broker/ and client/ never import each other.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['broker/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../client/*', '../cli/*'] }] },
  },
  {
    files: ['client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../broker/*', '../cli/*'] }] },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../broker/*', '../client/*', '../cli/*'] }] },
  },
);
