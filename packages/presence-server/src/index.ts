export * from './service';
export * from './pidf';
export * from './publications';
export * from './publish';
export * from './identity';
