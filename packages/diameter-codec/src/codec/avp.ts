/** The AVP (RFC 6733 section 4.1): header fields, flags and the encoder for AVP lists. */

export const AVP_FLAG_VENDOR = 0x80;
export const AVP_FLAG_MANDATORY = 0x40;
export const AVP_FLAG_PROTECTED = 0x20;
/** The five reserved AVP flag bits, which a sender sets to zero. */
export const AVP_FLAGS_RESERVED = 0x1f;
export const AVP_HEADER_LENGTH = 8;
export const AVP_HEADER_LENGTH_VENDOR = 12;

/**
 * One AVP. `vendorId` is 0 when the V bit is clear. `data` is the payload without padding. For a Grouped
 * AVP `avps` holds the members; the encoder writes `avps` when present, otherwise `data`.
 */
export interface Avp {
  code: number;
  flags: number;
  vendorId: number;
  data: Buffer;
  avps?: Avp[];
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** The AVP Length field value (header + data, no padding). */
export function avpLength(avp: Avp): number {
  const header = avp.flags & AVP_FLAG_VENDOR ? AVP_HEADER_LENGTH_VENDOR : AVP_HEADER_LENGTH;
  return header + (avp.avps ? avpsLength(avp.avps) : avp.data.length);
}

/** Bytes an AVP list takes on the wire, each AVP padded to 32 bits. */
export function avpsLength(avps: readonly Avp[]): number {
  let n = 0;
  for (const a of avps) n += pad4(avpLength(a));
  return n;
}

/** Writes AVPs at `offset` (padding zeroed); returns the offset after them. */
export function writeAvps(avps: readonly Avp[], out: Buffer, offset: number): number {
  let at = offset;
  for (const a of avps) {
    const start = at;
    const length = avpLength(a);
    if (length > 0xffffff) throw new RangeError(`AVP ${a.code} is ${length} bytes, more than 24 bits`);
    out.writeUInt32BE(a.code >>> 0, at);
    out.writeUInt32BE((((a.flags & 0xff) << 24) | length) >>> 0, at + 4);
    at += 8;
    if (a.flags & AVP_FLAG_VENDOR) {
      out.writeUInt32BE(a.vendorId >>> 0, at);
      at += 4;
    }
    if (a.avps) at = writeAvps(a.avps, out, at);
    else at += a.data.copy(out, at);
    const end = start + pad4(length);
    out.fill(0, at, end);
    at = end;
  }
  return at;
}

/** One AVP list as bytes. */
export function encodeAvps(avps: readonly Avp[]): Buffer {
  const out = Buffer.allocUnsafe(avpsLength(avps));
  writeAvps(avps, out, 0);
  return out;
}
