/** The UE's XCAP client (RFC 4825). */
export * from './uri';
export * from './xml-reader';
export * from './xcap-error';
export * from './etags';
export * from './xcap-client';
