export * from './params';
export * from './algorithm';
export * from './response';
export * from './nonce';
export * from './exchange';
