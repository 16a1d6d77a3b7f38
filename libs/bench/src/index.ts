export * from './families';
export * from './load';
export * from './auth';
