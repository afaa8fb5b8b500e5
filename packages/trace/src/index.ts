export * from './event';
export * from './memory-sink';
export * from './jsonl-sink';
export * from './file-output';
export * from './ipv4-address';
export * from './ip-framing';
export * from './pcapng-blocks';
export * from './pcapng';
