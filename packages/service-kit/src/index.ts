export * from './command';
export * from './listen';
export * from './admin';
export * from './process';
