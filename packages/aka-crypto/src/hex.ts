/** Strict hex handling for keys and protocol fields: wrong input is an error, never a silent truncation. */

export class HexError extends Error {
  override name = 'HexError';
}

/**
 * Parses `value` as hex of exactly `bytes` octets (any length when `bytes` is omitted).
 * `name` appears in the error so the caller can tell which field was wrong; the value never does,
 * since it is often a key (K, OPc) or RES.
 */
export function fromHex(value: string, name: string, bytes?: number): Buffer {
  const prefixed = value.startsWith('0x') || value.startsWith('0X');
  const v = prefixed ? value.slice(2) : value;
  const bad = v.search(/[^0-9a-fA-F]/);
  if (bad >= 0) {
    throw new HexError(`${name}: character ${bad + (prefixed ? 3 : 1)} is not a hex digit`);
  }
  if (v.length % 2 !== 0) throw new HexError(`${name}: odd number of hex digits (${v.length})`);
  if (bytes !== undefined && v.length !== bytes * 2) {
    throw new HexError(`${name}: expected ${bytes} bytes (${bytes * 2} hex digits), got ${v.length / 2}`);
  }
  return Buffer.from(v, 'hex');
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Checks that a binary argument has the length a function needs. */
export function requireLength(b: Uint8Array, bytes: number, name: string): void {
  if (b.length !== bytes) throw new RangeError(`${name}: expected ${bytes} bytes, got ${b.length}`);
}
