export * from './timers';
export * from './watchdog';
export * from './identifiers';
export * from './local';
export * from './connection';
export * from './client';
export * from './server';
