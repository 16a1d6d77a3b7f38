export * from './model';
export * from './feed';
export * from './faults';
export * from './generate';
export * from './server';
export type {
  FakeSource,
  FakeKeyPersonOut,
  FakeEnterpriseOut,
  FakeProjectOut,
  EnterpriseRole,
} from './fake-source';
