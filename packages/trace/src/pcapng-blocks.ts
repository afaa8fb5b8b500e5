/*
 * pcapng blocks (draft-ietf-opsawg-pcapng), written little-endian: the byte-order magic tells readers so.
 * Every block is: type (32 bits), total length (32 bits), body padded to 32 bits, total length again.
 */

export const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
export const BLOCK_ENHANCED_PACKET = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;

/** LINKTYPE_RAW: each packet starts with an IPv4 or IPv6 header, no link-layer header. */
export const LINKTYPE_RAW = 101;
/** LINKTYPE_IPV4: each packet starts with an IPv4 header. */
export const LINKTYPE_IPV4 = 228;

/** One option: its code and its value (padding is added when encoding). */
export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/** Options followed by opt_endofopt; nothing at all when there are none (the options field is optional). */
export function encodeOptions(options: readonly PcapngOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const { code, value } of options) {
    if (value.length > 0xffff) throw new RangeError(`pcapng option ${code} is longer than 65535 bytes`);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(code, 0);
    header.writeUInt16LE(value.length, 2);
    parts.push(header, Buffer.from(value), Buffer.alloc(pad4(value.length)));
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt: code 0, length 0
  return Buffer.concat(parts);
}

/** A UTF-8 string option. */
export function stringOption(code: number, value: string): PcapngOption {
  return { code, value: Buffer.from(value, 'utf8') };
}

/** A block of `type` around `body` (which is padded here to 32 bits). */
export function encodeBlock(type: number, body: Uint8Array): Buffer {
  const padding = pad4(body.length);
  const total = 12 + body.length + padding;
  const block = Buffer.alloc(total);
  block.writeUInt32LE(type, 0);
  block.writeUInt32LE(total, 4);
  block.set(body, 8);
  block.writeUInt32LE(total, total - 4);
  return block;
}

/** Section Header Block: version 1.0, section length -1 (not given). */
export function sectionHeaderBlock(options: readonly PcapngOption[] = []): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8);
  return encodeBlock(BLOCK_SECTION_HEADER, Buffer.concat([fixed, encodeOptions(options)]));
}

/** Interface Description Block. */
export function interfaceDescriptionBlock(
  linkType: number,
  snapLength: number,
  options: readonly PcapngOption[] = [],
): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(linkType, 0);
  fixed.writeUInt16LE(0, 2);
  fixed.writeUInt32LE(snapLength, 4);
  return encodeBlock(BLOCK_INTERFACE_DESCRIPTION, Buffer.concat([fixed, encodeOptions(options)]));
}

/**
 * Enhanced Packet Block on interface `interfaceId`. `timestamp` counts units of the interface's
 * if_tsresol since the epoch; it must be a safe non-negative integer.
 */
export function enhancedPacketBlock(
  interfaceId: number,
  timestamp: number,
  packet: Uint8Array,
  options: readonly PcapngOption[] = [],
): Buffer {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`pcapng timestamp must be a non-negative safe integer, got ${timestamp}`);
  }
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32LE(interfaceId, 0);
  fixed.writeUInt32LE(Math.floor(timestamp / 0x100000000), 4);
  fixed.writeUInt32LE(timestamp % 0x100000000, 8);
  fixed.writeUInt32LE(packet.length, 12); // captured length
  fixed.writeUInt32LE(packet.length, 16); // original length
  return encodeBlock(
    BLOCK_ENHANCED_PACKET,
    Buffer.concat([fixed, packet, Buffer.alloc(pad4(packet.length)), encodeOptions(options)]),
  );
}
