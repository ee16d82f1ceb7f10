// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The rule that keeps the files of one layer from importing the modules of the layers above it.
 * @param {string[]} files
 * @param {string[]} forbidden
 * @param {string} message
 */
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'scripts/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unused arguments prefixed with _ document an interface's shape.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // node:test's describe/it return promises that the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['it', 'describe', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      // Handlers are allowed to be async without awaiting: the interface is async.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The dashboard's browser scripts: typed against the DOM by their own tsconfig, whose check
    // (npm run typecheck) also catches undefined names.
    files: ['src/ui/web/static/**/*.js'],
    languageOptions: {
      parserOptions: { projectService: false, project: './src/ui/web/tsconfig.static.json' },
    },
    rules: { 'no-undef': 'off' },
  },
  // Layers import one way: commands -> proxy, ui, controlplane -> platform -> runtime -> registry.
  layer(
    ['src/registry/**/*.ts'],
    ['**/runtime/**', '**/commands/**', '**/ui/**', '**/proxy/**', 'fastify', 'ink', 'react'],
    'src/registry is the bottom layer.',
  ),
  layer(
    ['src/runtime/**/*.ts'],
    [
      '**/platform/**',
      '**/commands/**',
      '**/ui/**',
      '**/proxy/**',
      'fastify',
      'ink',
      'react',
      'yargs',
    ],
    'src/runtime must not import the platform, CLI, UI or HTTP-server code.',
  ),
  layer(
    ['src/platform/**/*.ts'],
    [
      '**/controlplane/**',
      '**/commands/**',
      '**/ui/**',
      '**/proxy/**',
      'fastify',
      'ink',
      'react',
      'yargs',
    ],
    'src/platform builds on the runtime and registry only.',
  ),
  layer(
    ['src/ui/**/*.ts', 'src/ui/**/*.tsx', 'src/proxy/**/*.ts'],
    ['**/commands/**'],
    'Only commands import from commands.',
  ),
  // src/bot has its own commands/ folder: src/commands is named by its depth from each file.
  layer(['src/bot/*.ts'], ['../commands/**'], 'Only commands import from src/commands.'),
  layer(['src/bot/*/*.ts'], ['../../commands/**'], 'Only commands import from src/commands.'),
);
