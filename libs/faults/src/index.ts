export * from './stack';
export * from './site';
export * from './observe';
export * from './scenarios';
export * from './run-scenario';
export * from './report';
