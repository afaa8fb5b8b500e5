export * from './compose';
export * from './ladder';
