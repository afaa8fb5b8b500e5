export { ManualClock, systemClock, type Clock } from './clock';
export {
  SessionStoreError,
  TICKET_KEYS_LENGTH,
  type SessionStore,
  type SessionStoreOperation,
} from './store';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store';
export {
  TlsSessionCache,
  type SessionCacheOptions,
  type SessionCounters,
  type TlsSessionCacheEvents,
} from './cache';
export { TLS1_2_VERSION, TLS1_3_VERSION, sessionProtocolVersion } from './session-der';
