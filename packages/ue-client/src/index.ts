export * from './usim';
export * from './http';
export * from './xcap';
export * from './quirks';
export * from './sip';
