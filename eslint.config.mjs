// Lint for every project. Module boundaries: a service never imports another service; libraries never
// import services; contracts and generated protobuf code may be imported by anyone. Tools (simulators,
// bench, demo, fixtures, testing, faults, ops: `type:tool`) never ship inside a service or a runtime
// library; only tests may use them (the override below).
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const RUNTIME = ['type:lib', 'type:contracts', 'type:generated'];
const TEST_FILES = [
  '**/*.spec.ts',
  '**/*.int-spec.ts',
  '**/*.e2e-spec.ts',
  '**/*.e2e-support.ts',
  '**/*.spec-support.ts',
  '**/*.int-support.ts',
  '**/test/**/*.ts',
  '**/e2e/**/*.ts',
];

function boundaries(testFiles) {
  const runtimeMayUse = testFiles ? [...RUNTIME, 'type:tool'] : RUNTIME;
  return [
    'error',
    {
      allow: [],
      depConstraints: [
        { sourceTag: 'type:service', onlyDependOnLibsWithTags: runtimeMayUse },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: runtimeMayUse },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: [...RUNTIME, 'type:tool'] },
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:generated'] },
        { sourceTag: 'type:generated', onlyDependOnLibsWithTags: ['type:generated'] },
      ],
    },
  ];
}

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  // Tests of services and runtime libraries may drive them with tools (simulators, fixtures, testing).
  { files: TEST_FILES, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
];
