/** The Diameter header (RFC 6733 section 3): 20 bytes. */

export const HEADER_LENGTH = 20;
export const DIAMETER_VERSION = 1;
export const FLAG_REQUEST = 0x80;
export const FLAG_PROXIABLE = 0x40;
export const FLAG_ERROR = 0x20;
export const FLAG_RETRANSMIT = 0x10;
/** The four reserved command flag bits. */
export const FLAGS_RESERVED = 0x0f;

export interface DiameterHeader {
  version: number;
  /** The Message Length field as received (the encoder recomputes it). */
  length: number;
  /** The raw command flags byte: FLAG_REQUEST | FLAG_PROXIABLE | FLAG_ERROR | FLAG_RETRANSMIT. */
  flags: number;
  commandCode: number;
  applicationId: number;
  hopByHop: number;
  endToEnd: number;
}

/** Reads the header fields of at least 20 bytes (the caller checks the size). */
export function readHeader(b: Buffer): DiameterHeader {
  const w0 = b.readUInt32BE(0);
  const w1 = b.readUInt32BE(4);
  return {
    version: w0 >>> 24,
    length: w0 & 0xffffff,
    flags: w1 >>> 24,
    commandCode: w1 & 0xffffff,
    applicationId: b.readUInt32BE(8),
    hopByHop: b.readUInt32BE(12),
    endToEnd: b.readUInt32BE(16),
  };
}

export function writeHeader(h: DiameterHeader, length: number, out: Buffer): void {
  out.writeUInt32BE((((h.version & 0xff) << 24) | (length & 0xffffff)) >>> 0, 0);
  out.writeUInt32BE((((h.flags & 0xff) << 24) | (h.commandCode & 0xffffff)) >>> 0, 4);
  out.writeUInt32BE(h.applicationId >>> 0, 8);
  out.writeUInt32BE(h.hopByHop >>> 0, 12);
  out.writeUInt32BE(h.endToEnd >>> 0, 16);
}

export const isRequest = (h: { flags: number }): boolean => (h.flags & FLAG_REQUEST) !== 0;
export const isProxiable = (h: { flags: number }): boolean => (h.flags & FLAG_PROXIABLE) !== 0;
export const isError = (h: { flags: number }): boolean => (h.flags & FLAG_ERROR) !== 0;
export const isRetransmit = (h: { flags: number }): boolean => (h.flags & FLAG_RETRANSMIT) !== 0;
