/** IP protocol numbers. */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const IPV4_HEADER_LENGTH = 20;
export const TCP_HEADER_LENGTH = 20;
export const UDP_HEADER_LENGTH = 8;
/** Largest IPv4 packet (the total length field is 16 bits). */
export const IPV4_MAX_PACKET = 0xffff;
/** Largest UDP payload that fits one IPv4 packet. */
export const UDP_MAX_PAYLOAD = IPV4_MAX_PACKET - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH;

/** TCP header flags. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** The Internet checksum (RFC 1071) of the concatenated buffers: the ones' complement of the ones' complement sum. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) {
        odd = byte;
      } else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
    // Fold after each part so that the sum stays an exact integer.
    sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The 12-byte pseudo-header that TCP and UDP checksums cover. */
function pseudoHeader(src: number, dst: number, protocol: number, length: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(src >>> 0, 0);
  header.writeUInt32BE(dst >>> 0, 4);
  header.writeUInt8(0, 8);
  header.writeUInt8(protocol, 9);
  header.writeUInt16BE(length, 10);
  return header;
}

export interface Ipv4PacketFields {
  src: number;
  dst: number;
  protocol: number;
  /** The identification field (16 bits). */
  id: number;
  ttl?: number;
}

/** An IPv4 packet: 20-byte header (DF set, no options, checksum filled in) followed by `payload`. */
export function ipv4Packet(fields: Ipv4PacketFields, payload: Uint8Array): Buffer {
  const total = IPV4_HEADER_LENGTH + payload.length;
  if (total > IPV4_MAX_PACKET)
    throw new RangeError(`IPv4 packet of ${total} bytes exceeds ${IPV4_MAX_PACKET}`);
  const packet = Buffer.alloc(total);
  packet.writeUInt8(0x45, 0); // version 4, IHL 5 words
  packet.writeUInt8(0, 1); // DSCP/ECN
  packet.writeUInt16BE(total, 2);
  packet.writeUInt16BE(fields.id & 0xffff, 4);
  packet.writeUInt16BE(0x4000, 6); // DF, fragment offset 0
  packet.writeUInt8(fields.ttl ?? 64, 8);
  packet.writeUInt8(fields.protocol, 9);
  packet.writeUInt32BE(fields.src >>> 0, 12);
  packet.writeUInt32BE(fields.dst >>> 0, 16);
  packet.writeUInt16BE(internetChecksum(packet.subarray(0, IPV4_HEADER_LENGTH)), 10);
  packet.set(payload, IPV4_HEADER_LENGTH);
  return packet;
}

export interface TcpSegmentFields {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** TCP options, already padded to a multiple of 4 bytes. */
  options?: Uint8Array;
}

/** A TCP segment (header, options, payload) with its checksum over the pseudo-header. */
export function tcpSegment(fields: TcpSegmentFields, payload: Uint8Array): Buffer {
  const options = fields.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40)
    throw new RangeError('TCP options must be 0..40 bytes, 4-aligned');
  const headerLength = TCP_HEADER_LENGTH + options.length;
  const segment = Buffer.alloc(headerLength + payload.length);
  segment.writeUInt16BE(fields.srcPort, 0);
  segment.writeUInt16BE(fields.dstPort, 2);
  segment.writeUInt32BE(fields.seq >>> 0, 4);
  segment.writeUInt32BE(fields.ack >>> 0, 8);
  segment.writeUInt8((headerLength / 4) << 4, 12);
  segment.writeUInt8(fields.flags, 13);
  segment.writeUInt16BE(fields.window, 14);
  segment.writeUInt16BE(0, 16); // checksum, below
  segment.writeUInt16BE(0, 18); // urgent pointer
  segment.set(options, TCP_HEADER_LENGTH);
  segment.set(payload, headerLength);
  const pseudo = pseudoHeader(fields.src, fields.dst, IPPROTO_TCP, segment.length);
  segment.writeUInt16BE(internetChecksum(pseudo, segment), 16);
  return segment;
}

export interface UdpDatagramFields {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
}

/** A UDP datagram with its length and its checksum over the pseudo-header (0 is sent as 0xffff). */
export function udpDatagram(fields: UdpDatagramFields, payload: Uint8Array): Buffer {
  if (payload.length > UDP_MAX_PAYLOAD) {
    throw new RangeError(`UDP payload of ${payload.length} bytes exceeds ${UDP_MAX_PAYLOAD}`);
  }
  const datagram = Buffer.alloc(UDP_HEADER_LENGTH + payload.length);
  datagram.writeUInt16BE(fields.srcPort, 0);
  datagram.writeUInt16BE(fields.dstPort, 2);
  datagram.writeUInt16BE(datagram.length, 4);
  datagram.writeUInt16BE(0, 6);
  datagram.set(payload, UDP_HEADER_LENGTH);
  const pseudo = pseudoHeader(fields.src, fields.dst, IPPROTO_UDP, datagram.length);
  const checksum = internetChecksum(pseudo, datagram);
  datagram.writeUInt16BE(checksum === 0 ? 0xffff : checksum, 6);
  return datagram;
}

/** The TCP MSS option (kind 2, length 4), which SYN segments carry. */
export function tcpMssOption(mss: number): Buffer {
  const option = Buffer.alloc(4);
  option.writeUInt8(2, 0);
  option.writeUInt8(4, 1);
  option.writeUInt16BE(mss, 2);
  return option;
}
