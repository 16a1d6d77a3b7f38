export * from './families';
export * from './load';
