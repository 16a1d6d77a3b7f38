export * from './registry-client';
export * from './mixed-site';
