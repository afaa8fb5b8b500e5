// An independent reader for the captures under test: pcapng blocks, IPv4, TCP and UDP.

export interface RawBlock {
  offset: number;
  type: number;
  totalLength: number;
  trailingLength: number;
  body: Buffer;
}

/** Splits a little-endian pcapng buffer into blocks; throws if the blocks do not tile the buffer. */
export function readBlocks(buffer: Buffer): RawBlock[] {
  const blocks: RawBlock[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 12 > buffer.length) throw new Error(`truncated block at ${offset}`);
    const type = buffer.readUInt32LE(offset);
    const totalLength = buffer.readUInt32LE(offset + 4);
    if (totalLength < 12 || offset + totalLength > buffer.length) {
      throw new Error(`bad block length ${totalLength} at ${offset}`);
    }
    const trailingLength = buffer.readUInt32LE(offset + totalLength - 4);
    blocks.push({
      offset,
      type,
      totalLength,
      trailingLength,
      body: buffer.subarray(offset + 8, offset + totalLength - 4),
    });
    offset += totalLength;
  }
  return blocks;
}

export interface RawOption {
  code: number;
  value: Buffer;
}

export interface ParsedOptions {
  options: RawOption[];
  /** True when the list ended with opt_endofopt. */
  terminated: boolean;
  /** True when every value was followed by zero padding up to 32 bits. */
  zeroPadded: boolean;
}

export function readOptions(buffer: Buffer): ParsedOptions {
  const options: RawOption[] = [];
  let offset = 0;
  let zeroPadded = true;
  while (offset + 4 <= buffer.length) {
    const code = buffer.readUInt16LE(offset);
    const length = buffer.readUInt16LE(offset + 2);
    if (code === 0) {
      return { options, terminated: length === 0 && offset + 4 === buffer.length, zeroPadded };
    }
    const value = buffer.subarray(offset + 4, offset + 4 + length);
    const padded = Math.ceil(length / 4) * 4;
    const padding = buffer.subarray(offset + 4 + length, offset + 4 + padded);
    if (padding.some((b) => b !== 0)) zeroPadded = false;
    options.push({ code, value });
    offset += 4 + padded;
  }
  return { options, terminated: false, zeroPadded };
}

export interface PacketBlock {
  interfaceId: number;
  /** Timestamp in if_tsresol units, from the high and low 32-bit words. */
  timestamp: number;
  capturedLength: number;
  originalLength: number;
  data: Buffer;
  padding: Buffer;
  options: ParsedOptions;
  comments: string[];
}

export function parseEnhancedPacket(body: Buffer): PacketBlock {
  const capturedLength = body.readUInt32LE(12);
  const padded = Math.ceil(capturedLength / 4) * 4;
  const options = readOptions(body.subarray(20 + padded));
  return {
    interfaceId: body.readUInt32LE(0),
    timestamp: body.readUInt32LE(4) * 2 ** 32 + body.readUInt32LE(8),
    capturedLength,
    originalLength: body.readUInt32LE(16),
    data: body.subarray(20, 20 + capturedLength),
    padding: body.subarray(20 + capturedLength, 20 + padded),
    options,
    comments: options.options.filter((o) => o.code === 1).map((o) => o.value.toString('utf8')),
  };
}

/** Ones' complement sum of 16-bit big-endian words, folded; 0xffff over data that includes a correct checksum. */
export function onesComplementSum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) {
    sum += (data[i] ?? 0) * 256 + (data[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

export interface Ipv4Header {
  version: number;
  headerLength: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksumOk: boolean;
  src: string;
  dst: string;
  srcBytes: Buffer;
  dstBytes: Buffer;
  payload: Buffer;
}

export function parseIpv4Packet(packet: Buffer): Ipv4Header {
  const headerLength = (packet.readUInt8(0) & 0x0f) * 4;
  const flags = packet.readUInt16BE(6);
  const srcBytes = packet.subarray(12, 16);
  const dstBytes = packet.subarray(16, 20);
  return {
    version: packet.readUInt8(0) >> 4,
    headerLength,
    totalLength: packet.readUInt16BE(2),
    id: packet.readUInt16BE(4),
    dontFragment: (flags & 0x4000) !== 0,
    moreFragments: (flags & 0x2000) !== 0,
    fragmentOffset: flags & 0x1fff,
    ttl: packet.readUInt8(8),
    protocol: packet.readUInt8(9),
    checksumOk: onesComplementSum(packet.subarray(0, headerLength)) === 0xffff,
    src: [...srcBytes].join('.'),
    dst: [...dstBytes].join('.'),
    srcBytes,
    dstBytes,
    payload: packet.subarray(headerLength),
  };
}

function pseudoHeader(ip: Ipv4Header, length: number): Buffer {
  const pseudo = Buffer.alloc(12);
  ip.srcBytes.copy(pseudo, 0);
  ip.dstBytes.copy(pseudo, 4);
  pseudo.writeUInt8(ip.protocol, 9);
  pseudo.writeUInt16BE(length, 10);
  return pseudo;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  headerLength: number;
  flags: number;
  window: number;
  checksumOk: boolean;
  options: Buffer;
  payload: Buffer;
}

export function parseTcpSegment(ip: Ipv4Header): TcpHeader {
  const segment = ip.payload;
  const headerLength = (segment.readUInt8(12) >> 4) * 4;
  return {
    srcPort: segment.readUInt16BE(0),
    dstPort: segment.readUInt16BE(2),
    seq: segment.readUInt32BE(4),
    ack: segment.readUInt32BE(8),
    headerLength,
    flags: segment.readUInt8(13),
    window: segment.readUInt16BE(14),
    checksumOk: onesComplementSum(Buffer.concat([pseudoHeader(ip, segment.length), segment])) === 0xffff,
    options: segment.subarray(20, headerLength),
    payload: segment.subarray(headerLength),
  };
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
  checksumOk: boolean;
  payload: Buffer;
}

export function parseUdpDatagram(ip: Ipv4Header): UdpHeader {
  const datagram = ip.payload;
  return {
    srcPort: datagram.readUInt16BE(0),
    dstPort: datagram.readUInt16BE(2),
    length: datagram.readUInt16BE(4),
    checksum: datagram.readUInt16BE(6),
    checksumOk: onesComplementSum(Buffer.concat([pseudoHeader(ip, datagram.length), datagram])) === 0xffff,
    payload: datagram.subarray(8),
  };
}

export interface DecodedPacket {
  block: PacketBlock;
  ip: Ipv4Header;
  tcp?: TcpHeader;
  udp?: UdpHeader;
}

/** Every Enhanced Packet Block of a capture, decoded down to TCP or UDP. */
export function decodePackets(buffer: Buffer): DecodedPacket[] {
  return readBlocks(buffer)
    .filter((b) => b.type === 6)
    .map((b) => {
      const block = parseEnhancedPacket(b.body);
      const ip = parseIpv4Packet(block.data);
      if (ip.protocol === 6) return { block, ip, tcp: parseTcpSegment(ip) };
      if (ip.protocol === 17) return { block, ip, udp: parseUdpDatagram(ip) };
      return { block, ip };
    });
}

export const FIN = 0x01;
export const SYN = 0x02;
export const PSH = 0x08;
export const ACK = 0x10;
