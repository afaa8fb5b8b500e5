/** Where TLS session state lives, shared by every instance that must resume the others' sessions. */
export interface SessionStore {
  /** a TLS <= 1.2 session by its id */
  getSession(id: Buffer): Promise<Buffer | undefined>;
  setSession(id: Buffer, data: Buffer, ttlSeconds: number): Promise<void>;
  /**
   * The 48-byte ticket keys of a rotation epoch: the first instance to ask creates them (random),
   * every instance gets the same bytes; kept for ttlSeconds.
   */
  ticketKeys(epoch: number, ttlSeconds: number): Promise<Buffer>;
  close(): Promise<void>;
  /** Sessions dropped to respect a size bound (not for expiry), if the store keeps a bound itself. */
  readonly evictions?: number;
}

/** The operations of a {@link SessionStore}, as named in a {@link SessionStoreError}. */
export type SessionStoreOperation = 'getSession' | 'setSession' | 'ticketKeys' | 'close';

/** Bytes of the `ticketKeys` of a Node `tls.Server`: 16 name, 16 HMAC, 16 AES. */
export const TICKET_KEYS_LENGTH = 48;

/**
 * A failed store operation. The message names the operation and a reason and never carries session
 * data, ticket keys or a connection URL; the underlying error is deliberately not kept as `cause`
 * (ioredis attaches the command arguments, i.e. the secrets, to its errors).
 */
export class SessionStoreError extends Error {
  override readonly name = 'SessionStoreError';
  constructor(
    readonly operation: SessionStoreOperation,
    readonly reason: string,
    /** A short error code from the underlying failure, e.g. `ECONNREFUSED`, if it had one. */
    readonly code?: string,
  ) {
    super(`session store ${operation} failed: ${reason}`);
  }
}

/**
 * Wraps any thrown value without copying its message or properties: only the error's class name
 * and a short code survive, so a store that put secrets into its own messages cannot leak them.
 */
export function toStoreError(operation: SessionStoreOperation, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return new SessionStoreError(operation, name, errorCode(error));
}

/** A `code` property that looks like an identifier (`ECONNREFUSED`, `ERR_...`), else undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,40}$/.test(code) ? code : undefined;
}
