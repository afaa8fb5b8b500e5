export * from './headers';
export * from './lexer';
export * from './uri';
export * from './name-addr';
export * from './message';
export * from './validate';
export * from './parse';
export * from './check';
