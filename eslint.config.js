// Type-aware lint for every package, plus the layer rules of ARCHITECTURE.md:
// imports point downward only, and nobody reaches into another package's files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Which workspace packages each package may import (mirrors package.json and tsconfig references). */
const allowed = {
  protocol: [],
  core: ['@clusnotify/protocol'],
  store: [],
  server: ['@clusnotify/protocol', '@clusnotify/core', '@clusnotify/store'],
  client: ['@clusnotify/protocol'],
  web: ['@clusnotify/client', '@clusnotify/protocol'],
  cli: [
    '@clusnotify/protocol',
    '@clusnotify/core',
    '@clusnotify/store',
    '@clusnotify/server',
    '@clusnotify/client',
  ],
  bench: ['@clusnotify/protocol', '@clusnotify/client'],
};
/** Pure packages (compiled with `"types": []`): `node:*` imports are rejected there too. */
const pure = new Set(['protocol', 'core', 'client', 'web']);
const all = [
  '@clusnotify/protocol',
  '@clusnotify/core',
  '@clusnotify/store',
  '@clusnotify/server',
  '@clusnotify/client',
  'clusnotify',
  '@clusnotify/web',
  '@clusnotify/bench',
];

const layerRules = Object.entries(allowed).map(([pkg, deps]) => ({
  files: [`packages/${pkg}/src/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: all
          .filter((name) => !deps.includes(name))
          .map((name) => ({
            name,
            message: `packages/${pkg} may import only: ${deps.join(', ') || 'nothing'} (ARCHITECTURE.md layers)`,
          })),
        patterns: [
          {
            group: ['@clusnotify/*/*', 'clusnotify/*'],
            message: 'Import a package by its name only; no deep imports.',
          },
          { group: ['../../*'], message: 'Do not reach into another package by relative path.' },
          ...(pure.has(pkg)
            ? [{ group: ['node:*'], message: 'Pure packages use no Node API.' }]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'eslint.config.js',
      'scripts/**',
      'packages/*/bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'error',
      // A leading underscore marks a parameter kept for its type (ws-server's parameter picker).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // `return this.step()` inside a void function's switch arm is how the model dispatches.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreVoidReturningFunctions: true },
      ],
      '@typescript-eslint/unified-signatures': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
  {
    files: ['packages/*/test/**/*.ts', 'packages/*/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
  ...layerRules,
);
