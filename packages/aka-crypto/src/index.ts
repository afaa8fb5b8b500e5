export * from './hex';
export * from './milenage';
export * from './sqn';
export * from './vector';
export * from './resync';
export * from './usim';
export * from './gba';
export * from './digest';
