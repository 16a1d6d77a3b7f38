export * from './registry-client';
export * from './mixed-site';
export * from './demo-tokens';
export * from './upstream';
