export * from './ccf';
export * from './commands';
export * from './check';
