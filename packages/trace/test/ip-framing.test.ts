import { IPPROTO_UDP, internetChecksum, ipv4Packet, udpDatagram } from '../src';
import { onesComplementSum } from './pcapng-reader';

describe('internetChecksum', () => {
  it('matches the RFC 1071 example (sum 0xddf2)', () => {
    expect(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'))).toBe(~0xddf2 & 0xffff);
  });

  it('matches a known IPv4 header checksum (0xb861)', () => {
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it('treats an odd byte at the end of one part as the high byte of the next word', () => {
    const whole = Buffer.from('0102030405', 'hex');
    expect(internetChecksum(whole.subarray(0, 3), whole.subarray(3))).toBe(internetChecksum(whole));
    expect(internetChecksum(whole)).toBe(~(0x0102 + 0x0304 + 0x0500) & 0xffff);
  });
});

describe('ipv4Packet and udpDatagram', () => {
  it('builds the known header when given its fields', () => {
    const packet = ipv4Packet(
      { src: 0xc0a80001, dst: 0xc0a800c7, protocol: IPPROTO_UDP, id: 0, ttl: 64 },
      Buffer.alloc(0x73 - 20),
    );
    expect(packet.subarray(0, 20).toString('hex')).toBe('45000073000040004011b861c0a80001c0a800c7');
  });

  it('refuses a packet longer than 65535 bytes', () => {
    expect(() => ipv4Packet({ src: 1, dst: 2, protocol: 6, id: 0 }, Buffer.alloc(65516))).toThrow(RangeError);
  });

  it('sends a computed UDP checksum of zero as 0xffff', () => {
    // Find a payload whose checksum computes to 0: then the field must carry 0xffff, which still verifies.
    const fields = { src: 0x7f000001, dst: 0x7f000001, srcPort: 1, dstPort: 2 };
    const probe = udpDatagram(fields, Buffer.alloc(2));
    const current = probe.readUInt16BE(6);
    // Adding a word equal to the current checksum to the payload drives the sum to 0xffff, i.e. checksum 0.
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(current, 0);
    const datagram = udpDatagram(fields, payload);
    expect(datagram.readUInt16BE(6)).toBe(0xffff);
    const pseudo = Buffer.from('7f0000017f00000100110000', 'hex');
    pseudo.writeUInt16BE(datagram.length, 10);
    expect(onesComplementSum(Buffer.concat([pseudo, datagram]))).toBe(0xffff);
  });
});
