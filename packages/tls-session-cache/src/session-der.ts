/**
 * The protocol version (0x0303 for TLS 1.2, 0x0304 for TLS 1.3) recorded in a DER-encoded OpenSSL
 * `SSL_SESSION` (what `newSession` passes): `SEQUENCE { INTEGER version, INTEGER ssl_version, ... }`.
 * Undefined when the bytes do not start that way.
 */
export function sessionProtocolVersion(der: Uint8Array): number | undefined {
  let p = 0;
  const header = (tag: number): number | undefined => {
    if (der[p] !== tag) return undefined;
    p++;
    const first = der[p++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 3) return undefined;
    let length = 0;
    for (let i = 0; i < n; i++) {
      const b = der[p++];
      if (b === undefined) return undefined;
      length = length * 256 + b;
    }
    return length;
  };
  const integer = (): number | undefined => {
    const length = header(0x02);
    if (length === undefined || length < 1 || length > 4 || p + length > der.length) return undefined;
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 256 + (der[p++] as number);
    return value;
  };
  if (header(0x30) === undefined) return undefined;
  if (integer() !== 1) return undefined;
  return integer();
}

export const TLS1_2_VERSION = 0x0303;
export const TLS1_3_VERSION = 0x0304;
