// @ts-check
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const SERVICES = ['orchestrator', 'fs-service', 'vm-service', 'plugin-host', 'scheduler', 'ui'];
const SERVICE_LIBS = [
  'scope:contracts',
  'scope:config',
  'scope:messaging',
  'scope:telemetry',
  'scope:storage',
  'scope:runtime',
];

const FS_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises'];
const PROCESS_MODULES = ['child_process', 'node:child_process'];

/** An OS power a process does not hold, as an import ban with the reason. */
const ban = (names, message) => names.map((name) => ({ name, message }));
const noFs = ban(
  FS_MODULES,
  'Only fs-service touches files (plus config/storage for Steward’s own files). Ask fs-service over the bus.',
);
const noSpawn = ban(
  PROCESS_MODULES,
  'Only vm-service (sandboxes) and plugin-host (plugins) spawn processes.',
);
const noDocker = ban(['dockerode'], 'Only vm-service talks to the Docker engine.');
const noNats = [
  { group: ['@nats-io/*'], message: 'Only libs/messaging knows NATS; use BusClient / RpcHandler.' },
];

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.nx/**',
      'coverage/**',
      'tests/.artifacts/**',
      'apps/ui/public/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    // The page's source (apps/ui/web) is TSX and follows the same rules.
    files: ['**/*.ts', 'apps/ui/web/**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-console': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:messaging', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:telemetry', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:config'] },
            { sourceTag: 'scope:storage', onlyDependOnLibsWithTags: ['scope:contracts'] },
            {
              sourceTag: 'scope:runtime',
              onlyDependOnLibsWithTags: [
                'scope:contracts',
                'scope:config',
                'scope:messaging',
                'scope:telemetry',
                'scope:storage',
              ],
            },
            ...SERVICES.map((service) => ({
              sourceTag: `scope:${service}`,
              onlyDependOnLibsWithTags: SERVICE_LIBS,
            })),
            // Test doubles (the local model server) serve tests and benchmarks, never a service.
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:config'] },
            { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: 'type:app', notDependOnLibsWithTags: ['type:app'] },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (the CLI bin shim, the browser page's build-free script).
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // OS powers (STYLE.md): each process holds only its own.
  {
    files: ['apps/orchestrator/src/**/*.ts', 'apps/scheduler/src/**/*.ts', 'apps/ui/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noFs, ...noSpawn, ...noDocker], noNats) },
  },
  {
    files: ['apps/fs-service/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noSpawn, ...noDocker], noNats) },
  },
  {
    files: ['apps/plugin-host/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noDocker], noNats) },
  },
  {
    files: ['apps/vm-service/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([], noNats) },
  },
  {
    files: ['libs/contracts/src/**/*.ts', 'libs/runtime/src/**/*.ts', 'libs/telemetry/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noFs, ...noSpawn, ...noDocker], noNats) },
  },
  {
    files: ['libs/config/src/**/*.ts', 'libs/storage/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noSpawn, ...noDocker], noNats) },
  },
  {
    files: ['apps/cli/src/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([...noDocker], noNats) },
  },
  // Configuration comes from one place: nothing outside libs/config reads process.env.
  {
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['libs/config/src/**', 'apps/cli/src/supervisor/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @steward/config.' },
      ],
    },
  },
  // Tests cross boundaries on purpose: they drive real processes and share harnesses in tests/support.
  {
    files: ['**/test/**/*.ts', 'tests/**/*.ts', '**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
);
