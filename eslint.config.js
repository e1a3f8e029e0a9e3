// Lint: a small rule set on top of TypeScript's strict mode — what tsc does not catch and review should not
// have to (no any, no unused code, strict equality, const by default, no stray debugger or console in src).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'test-artifacts/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.base],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
    },
  },
  {
    // The product writes through pino or the CLI's streams; console is for tests, benches and the demo's child.
    files: ['src/**/*.ts'],
    ignores: ['src/console/**'],
    rules: { 'no-console': 'error' },
  },
);
