// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Each third-party client library is imported by exactly one folder (DESIGN.md). */
const restrict = (/** @type {string[]} */ patterns, /** @type {string} */ why) => ({
  'no-restricted-imports': [
    'error',
    { patterns: patterns.map((group) => ({ group: [group], message: why })) },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'charts/**', 'coverage/**', '.demo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/api/**/*.ts'],
    rules: restrict(
      ['../*', 'fastify', 'prometheus-query', '@kubernetes/*', 'yaml'],
      'api/ imports nothing internal',
    ),
  },
  {
    files: ['src/rules/**/*.ts'],
    rules: restrict(
      [
        '**/server/*',
        '**/providers/*',
        '**/prometheus/*',
        '**/kube/*',
        'fastify',
        'prometheus-query',
        '@kubernetes/*',
        'node:fs',
        'node:http',
        'node:https',
      ],
      'rules/ is pure: no I/O, no server, providers or clients',
    ),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: restrict(
      ['**/rules/*', '**/prometheus/*', '**/kube/*', '**/providers/*/*', 'prometheus-query', '@kubernetes/*'],
      'server/ sees the provider contract (providers/contract.ts) and api/ only',
    ),
  },
  {
    files: ['src/providers/**/*.ts'],
    rules: restrict(
      ['**/server/*', 'fastify', 'prometheus-query', '@kubernetes/*'],
      'providers use client interfaces, not libraries',
    ),
  },
  {
    files: ['src/prometheus/**/*.ts'],
    rules: restrict(
      ['**/server/*', '**/providers/*', '**/rules/*', '**/kube/*', 'fastify', '@kubernetes/*'],
      'prometheus/ is a leaf client',
    ),
  },
  {
    files: ['src/kube/**/*.ts'],
    rules: restrict(
      ['**/server/*', '**/providers/*', '**/rules/*', '**/prometheus/*', 'fastify', 'prometheus-query'],
      'kube/ is a leaf client',
    ),
  },
  {
    files: ['src/**/*.ts'],
    ignores: [
      'src/prometheus/**',
      'src/api/**',
      'src/rules/**',
      'src/server/**',
      'src/providers/**',
      'src/kube/**',
    ],
    rules: restrict(
      ['prometheus-query', '@kubernetes/*'],
      'only src/prometheus imports prometheus-query; only src/kube imports @kubernetes/client-node',
    ),
  },
);
