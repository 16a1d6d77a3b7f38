// One Jest configuration, three levels chosen by file name (see docs/testing.md):
//   *.spec.ts      unit: pure logic, no servers
//   *.int-spec.ts  integration: against the real local stack (deploy/local/stack.sh)
//   *.e2e-spec.ts  end-to-end: whole services started as processes
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Tests run against the sources of the libraries, not their build output.
  moduleNameMapper: { '^@realname/([a-z0-9-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['reflect-metadata'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,services}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services}/**/*.int-spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{libs,services}/**/*.e2e-spec.ts'],
    },
  ],
};
