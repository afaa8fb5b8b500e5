import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  DEFAULT_MAX_SEGMENT_SIZE,
  LINKTYPE_IPV4,
  PcapngEncoder,
  PcapngWriter,
  TCP_WINDOW,
  encodePcapng,
  ipv4ForHost,
  type TraceEvent,
} from '../src';
import { AP, HSS, PS, T0, UE, patternBytes, traceEvent } from './fixtures';
import {
  ACK,
  PSH,
  SYN,
  decodePackets,
  parseEnhancedPacket,
  readBlocks,
  readOptions,
  type DecodedPacket,
  type TcpHeader,
} from './pcapng-reader';

function tcpOf(packet: DecodedPacket | undefined): TcpHeader {
  if (!packet?.tcp) throw new Error('not a TCP packet');
  return packet.tcp;
}

function dataPackets(packets: DecodedPacket[]): DecodedPacket[] {
  return packets.filter((p) => ((p.tcp?.flags ?? 0) & PSH) !== 0 || (p.tcp?.payload.length ?? 0) > 0);
}

describe('pcapng block layout', () => {
  const events: TraceEvent[] = [
    traceEvent(),
    traceEvent({
      from: AP,
      to: UE,
      bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
      summary: '200',
    }),
    traceEvent({ iface: 'Gm', proto: 'sip', transport: 'udp', from: UE, to: PS, bytes: patternBytes(333) }),
    traceEvent({
      iface: 'Cx',
      proto: 'diameter',
      from: AP,
      to: HSS,
      bytes: patternBytes(5001),
      summary: 'MAR x',
    }),
  ];
  const file = encodePcapng(events);
  const blocks = readBlocks(file);

  it('tiles the file with blocks whose lengths are multiples of 4 and repeated at the end', () => {
    expect(blocks.reduce((n, b) => n + b.totalLength, 0)).toBe(file.length);
    for (const block of blocks) {
      expect(block.totalLength % 4).toBe(0);
      expect(block.trailingLength).toBe(block.totalLength);
    }
  });

  it('starts with a Section Header Block: magic, version 1.0, section length -1', () => {
    const shb = blocks[0];
    expect(shb?.type).toBe(0x0a0d0d0a);
    expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a);
    const body = shb!.body;
    expect(body.readUInt32LE(0)).toBe(0x1a2b3c4d);
    expect(body.readUInt16LE(4)).toBe(1);
    expect(body.readUInt16LE(6)).toBe(0);
    expect(body.readBigInt64LE(8)).toBe(-1n);
    const options = readOptions(body.subarray(16));
    expect(options.terminated).toBe(true);
    expect(options.zeroPadded).toBe(true);
    expect(options.options.find((o) => o.code === 4)?.value.toString()).toBe('@ut-testbed/trace');
  });

  it('has one Interface Description Block: LINKTYPE_RAW, snaplen 262144, if_name and if_tsresol 6', () => {
    const idbs = blocks.filter((b) => b.type === 1);
    expect(idbs).toHaveLength(1);
    expect(blocks[1]?.type).toBe(1);
    const body = idbs[0]!.body;
    expect(body.readUInt16LE(0)).toBe(101);
    expect(body.readUInt16LE(2)).toBe(0);
    expect(body.readUInt32LE(4)).toBe(262144);
    const options = readOptions(body.subarray(8));
    expect(options.terminated).toBe(true);
    expect(options.zeroPadded).toBe(true);
    expect(options.options.find((o) => o.code === 2)?.value.toString()).toBe('ut-testbed');
    expect([...(options.options.find((o) => o.code === 9)?.value ?? [])]).toEqual([6]);
  });

  it('writes every packet as an Enhanced Packet Block with padded data and terminated options', () => {
    const epbs = blocks.slice(2);
    expect(epbs.length).toBeGreaterThan(0);
    for (const block of epbs) {
      expect(block.type).toBe(6);
      const epb = parseEnhancedPacket(block.body);
      expect(epb.interfaceId).toBe(0);
      expect(epb.capturedLength).toBe(epb.originalLength);
      expect(epb.data.length).toBe(epb.capturedLength);
      expect((epb.capturedLength + epb.padding.length) % 4).toBe(0);
      expect(epb.padding.every((b) => b === 0)).toBe(true);
      expect(epb.options.terminated).toBe(true);
      expect(epb.options.zeroPadded).toBe(true);
      expect(epb.capturedLength).toBeLessThanOrEqual(262144);
    }
  });

  it('uses LINKTYPE_IPV4 when asked', () => {
    const idb = readBlocks(encodePcapng([], { linkType: LINKTYPE_IPV4 }))[1];
    expect(idb?.body.readUInt16LE(0)).toBe(228);
  });

  it('holds only the two header blocks for no events', () => {
    expect(readBlocks(encodePcapng([])).map((b) => b.type)).toEqual([0x0a0d0d0a, 1]);
  });
});

describe('IPv4 framing', () => {
  it('frames a UDP event: IPv4 header, UDP length and checksums, payload, timestamp and comments', () => {
    const bytes = patternBytes(333); // odd length exercises checksum padding
    const [packet, ...rest] = decodePackets(
      encodePcapng([
        traceEvent({
          iface: 'Gm',
          proto: 'sip',
          transport: 'udp',
          from: UE,
          to: PS,
          bytes,
          summary: 'MESSAGE b',
        }),
      ]),
    );
    expect(rest).toHaveLength(0);
    const { ip, udp, block } = packet!;
    expect(block.timestamp).toBe(1700000000123456);
    expect(block.comments).toEqual(['MESSAGE b', 'Gm sip/udp ue 127.0.0.1:50000 -> ps 127.0.0.1:5060']);
    expect(ip.version).toBe(4);
    expect(ip.headerLength).toBe(20);
    expect(ip.totalLength).toBe(20 + 8 + 333);
    expect(ip.totalLength).toBe(block.data.length);
    expect(ip.ttl).toBe(64);
    expect(ip.dontFragment).toBe(true);
    expect(ip.moreFragments).toBe(false);
    expect(ip.fragmentOffset).toBe(0);
    expect(ip.protocol).toBe(17);
    expect(ip.checksumOk).toBe(true);
    expect(ip.src).toBe('127.0.0.1');
    expect(udp?.srcPort).toBe(50000);
    expect(udp?.dstPort).toBe(5060);
    expect(udp?.length).toBe(8 + 333);
    expect(udp?.checksum).not.toBe(0);
    expect(udp?.checksumOk).toBe(true);
    expect(udp?.payload.equals(bytes)).toBe(true);
  });

  it('gives every packet a correct checksum and the next IP identification', () => {
    const packets = decodePackets(
      encodePcapng([
        traceEvent({ bytes: patternBytes(4001) }),
        traceEvent({ from: AP, to: UE, bytes: patternBytes(17) }),
        traceEvent({ transport: 'udp', to: PS, bytes: patternBytes(2) }),
        traceEvent({ transport: 'tls', from: { ...UE, port: 50001 }, bytes: patternBytes(0) }),
      ]),
    );
    expect(packets.length).toBeGreaterThan(8);
    packets.forEach((packet, index) => {
      expect(packet.ip.checksumOk).toBe(true);
      expect(packet.ip.id).toBe(index + 1);
      expect(packet.tcp?.checksumOk ?? packet.udp?.checksumOk).toBe(true);
    });
  });

  it('lets a corrupted payload byte show as a bad TCP checksum', () => {
    const file = encodePcapng([traceEvent({ bytes: Buffer.from('abcdef') })]);
    const at = file.indexOf(Buffer.from('abcdef'));
    file[at] = 0x41;
    const data = decodePackets(file).filter((p) => (p.tcp?.payload.length ?? 0) > 0);
    expect(data).toHaveLength(1);
    expect(data[0]?.tcp?.checksumOk).toBe(false);
  });

  it('converts fractional milliseconds to microseconds', () => {
    const [packet] = decodePackets(encodePcapng([traceEvent({ transport: 'udp', ts: 1.0006 })]));
    expect(packet?.block.timestamp).toBe(1001);
  });

  it('writes events in arrival order even when their timestamps go backwards', () => {
    const packets = decodePackets(
      encodePcapng([
        traceEvent({ transport: 'udp', ts: 2000, summary: 'second by time' }),
        traceEvent({ transport: 'udp', ts: 1000, summary: 'first by time' }),
      ]),
    );
    expect(packets.map((p) => p.block.timestamp)).toEqual([2000000, 1000000]);
    expect(packets.map((p) => p.block.comments[0])).toEqual(['second by time', 'first by time']);
  });

  it('frames zero-length messages: a bare ACK on TCP, an empty datagram on UDP', () => {
    const packets = decodePackets(
      encodePcapng([
        traceEvent({ bytes: new Uint8Array(0), summary: 'empty tcp' }),
        traceEvent({ transport: 'udp', to: PS, bytes: new Uint8Array(0), summary: 'empty udp' }),
      ]),
    );
    expect(packets).toHaveLength(5);
    const bare = tcpOf(packets[3]);
    expect(bare.flags).toBe(ACK);
    expect(bare.payload.length).toBe(0);
    expect(packets[3]?.block.comments[0]).toBe('empty tcp');
    expect(packets[4]?.udp?.length).toBe(8);
    expect(packets[4]?.udp?.checksumOk).toBe(true);
  });

  it('takes no comment for an empty summary but still names the route', () => {
    const [packet] = decodePackets(encodePcapng([traceEvent({ transport: 'udp', summary: '' })]));
    expect(packet?.block.comments).toEqual(['Ut http/udp ue 127.0.0.1:50000 -> ap 127.0.0.1:8443']);
  });

  it('rejects what cannot be framed', () => {
    expect(() => encodePcapng([traceEvent({ to: { ...AP, port: 70000 } })])).toThrow(/to\.port/);
    expect(() => encodePcapng([traceEvent({ from: { ...UE, port: 1.5 } })])).toThrow(/from\.port/);
    expect(() => encodePcapng([traceEvent({ ts: Number.NaN })])).toThrow(RangeError);
    expect(() => encodePcapng([traceEvent({ ts: -1 })])).toThrow(RangeError);
    expect(() => encodePcapng([traceEvent({ transport: 'udp', bytes: Buffer.alloc(65508) })])).toThrow(
      RangeError,
    );
    expect(() => new PcapngEncoder({ maxSegmentSize: 0 })).toThrow(RangeError);
    expect(() => new PcapngEncoder({ maxSegmentSize: 65496 })).toThrow(RangeError);
  });

  it('fits the largest UDP payload into one IPv4 packet', () => {
    const [packet] = decodePackets(
      encodePcapng([traceEvent({ transport: 'udp', bytes: Buffer.alloc(65507) })]),
    );
    expect(packet?.ip.totalLength).toBe(65535);
    expect(packet?.udp?.length).toBe(65515);
  });
});

describe('TCP flows', () => {
  it('opens a new flow with a synthetic handshake at the time of its first event', () => {
    const packets = decodePackets(encodePcapng([traceEvent({ summary: 'GET x' })]));
    expect(packets).toHaveLength(4);
    const [syn, synAck, ack, data] = packets.map(tcpOf) as [TcpHeader, TcpHeader, TcpHeader, TcpHeader];
    expect(packets.every((p) => p.block.timestamp === 1700000000123456)).toBe(true);
    expect(syn.flags).toBe(SYN);
    expect([syn.srcPort, syn.dstPort]).toEqual([50000, 8443]);
    expect(syn.options.equals(Buffer.from([2, 4, 0x05, 0xb4]))).toBe(true); // MSS 1460
    expect(synAck.flags).toBe(SYN | ACK);
    expect([synAck.srcPort, synAck.dstPort]).toEqual([8443, 50000]);
    expect(synAck.ack).toBe((syn.seq + 1) >>> 0);
    expect(ack.flags).toBe(ACK);
    expect(ack.seq).toBe((syn.seq + 1) >>> 0);
    expect(ack.ack).toBe((synAck.seq + 1) >>> 0);
    expect(data.flags).toBe(PSH | ACK);
    expect(data.seq).toBe(ack.seq);
    expect(data.ack).toBe(ack.ack);
    expect(data.window).toBe(TCP_WINDOW);
    expect(data.payload.equals(Buffer.from(traceEvent().bytes))).toBe(true);
    expect(packets.slice(0, 3).map((p) => p.block.comments[0])).toEqual([
      'synthetic TCP handshake: SYN',
      'synthetic TCP handshake: SYN-ACK',
      'synthetic TCP handshake: ACK',
    ]);
    expect(packets[3]?.block.comments).toEqual([
      'GET x',
      'Ut http/tcp ue 127.0.0.1:50000 -> ap 127.0.0.1:8443',
    ]);
  });

  it('splits a large payload and keeps sequence and acknowledgement numbers consistent both ways', () => {
    const request = patternBytes(5000);
    const response = patternBytes(3000).reverse();
    const packets = decodePackets(
      encodePcapng([
        traceEvent({ bytes: request, summary: 'PUT big' }),
        traceEvent({ from: AP, to: UE, bytes: response, summary: '201' }),
        traceEvent({ bytes: Buffer.from('next'), summary: 'GET next' }),
      ]),
    );
    const [syn, synAck] = packets.map(tcpOf) as [TcpHeader, TcpHeader];
    const clientIsn = syn.seq;
    const serverIsn = synAck.seq;
    const segments = dataPackets(packets).map(tcpOf);
    const sizes = segments.map((s) => s.payload.length);
    expect(sizes).toEqual([1460, 1460, 1460, 620, 1460, 1460, 80, 4]);

    const up = segments.slice(0, 4);
    up.forEach((segment, i) => {
      expect(segment.seq).toBe((clientIsn + 1 + i * 1460) >>> 0);
      expect(segment.ack).toBe((serverIsn + 1) >>> 0);
      expect(segment.flags).toBe(i === 3 ? PSH | ACK : ACK);
    });
    expect(Buffer.concat(up.map((s) => s.payload)).equals(request)).toBe(true);

    const down = segments.slice(4, 7);
    down.forEach((segment, i) => {
      expect([segment.srcPort, segment.dstPort]).toEqual([8443, 50000]);
      expect(segment.seq).toBe((serverIsn + 1 + i * 1460) >>> 0);
      expect(segment.ack).toBe((clientIsn + 1 + 5000) >>> 0);
    });
    expect(Buffer.concat(down.map((s) => s.payload)).equals(response)).toBe(true);

    const next = segments[7]!;
    expect(next.seq).toBe((clientIsn + 1 + 5000) >>> 0);
    expect(next.ack).toBe((serverIsn + 1 + 3000) >>> 0);

    const comments = dataPackets(packets).map((p) => p.block.comments[0]);
    expect(comments.slice(0, 4)).toEqual([
      'PUT big',
      '[segment 2/4] PUT big',
      '[segment 3/4] PUT big',
      '[segment 4/4] PUT big',
    ]);
    expect(packets.filter((p) => (p.tcp?.flags ?? 0) & SYN)).toHaveLength(2);
  });

  it('uses the configured segment size', () => {
    const packets = decodePackets(
      encodePcapng([traceEvent({ bytes: patternBytes(1000) })], { maxSegmentSize: 300 }),
    );
    expect(tcpOf(packets[0]).options.readUInt16BE(2)).toBe(300);
    expect(dataPackets(packets).map((p) => p.tcp?.payload.length)).toEqual([300, 300, 300, 100]);
    expect(DEFAULT_MAX_SEGMENT_SIZE).toBe(1460);
  });

  it('has the peer acknowledge before unacknowledged data would fill the 65535-byte window', () => {
    const payload = patternBytes(200000);
    const packets = decodePackets(encodePcapng([traceEvent({ bytes: payload })]));
    const [syn, synAck] = packets.map(tcpOf) as [TcpHeader, TcpHeader];
    let acked = (syn.seq + 1) >>> 0;
    let pureAcks = 0;
    const received: Buffer[] = [];
    for (const packet of packets.slice(3)) {
      const tcp = tcpOf(packet);
      if (tcp.srcPort === 8443) {
        expect(tcp.payload.length).toBe(0);
        expect(tcp.flags).toBe(ACK);
        expect(tcp.seq).toBe((synAck.seq + 1) >>> 0);
        expect(packet.block.comments).toEqual(['synthetic TCP ACK']);
        acked = tcp.ack;
        pureAcks++;
      } else {
        const inFlight = (tcp.seq + tcp.payload.length - acked) >>> 0;
        expect(inFlight).toBeLessThan(TCP_WINDOW);
        received.push(tcp.payload);
      }
    }
    expect(pureAcks).toBe(3);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
  });

  it('keeps separate state per 4-tuple and treats both directions as one flow', () => {
    const other = { ...UE, port: 50002 };
    const packets = decodePackets(
      encodePcapng([
        traceEvent({ bytes: Buffer.from('a') }),
        traceEvent({ from: other, bytes: Buffer.from('bb') }),
        traceEvent({ from: AP, to: other, bytes: Buffer.from('ccc') }),
        traceEvent({ from: AP, to: UE, bytes: Buffer.from('dddd') }),
      ]),
    );
    const syns = packets.filter((p) => tcpOf(p).flags === SYN).map(tcpOf);
    expect(syns.map((s) => s.srcPort)).toEqual([50000, 50002]);
    expect(syns[0]?.seq).not.toBe(syns[1]?.seq);
    const data = dataPackets(packets).map(tcpOf);
    expect(data.map((d) => d.payload.toString())).toEqual(['a', 'bb', 'ccc', 'dddd']);
    expect(data[2]?.ack).toBe((syns[1]!.seq + 1 + 2) >>> 0);
    expect(data[3]?.ack).toBe((syns[0]!.seq + 1 + 1) >>> 0);
  });

  it('makes the side that sends first the client of the handshake', () => {
    const packets = decodePackets(encodePcapng([traceEvent({ from: AP, to: UE })]));
    expect([tcpOf(packets[0]).srcPort, tcpOf(packets[0]).flags]).toEqual([8443, SYN]);
  });

  it('frames tls events as TCP carrying the cleartext', () => {
    const packets = decodePackets(encodePcapng([traceEvent({ transport: 'tls' })]));
    expect(packets.map((p) => p.ip.protocol)).toEqual([6, 6, 6, 6]);
    expect(tcpOf(packets[3]).payload.equals(Buffer.from(traceEvent().bytes))).toBe(true);
    expect(packets[3]?.block.comments[1]).toBe('Ut http/tls ue 127.0.0.1:50000 -> ap 127.0.0.1:8443');
  });

  it('produces the same bytes for the same events (deterministic ISNs and ids)', () => {
    const events = [traceEvent({ bytes: patternBytes(3000) }), traceEvent({ from: AP, to: UE })];
    expect(encodePcapng(events).equals(encodePcapng(events))).toBe(true);
  });
});

describe('host address mapping', () => {
  it('keeps IPv4 literals and unwraps IPv4-mapped IPv6', () => {
    expect(ipv4ForHost('10.1.2.3')).toBe('10.1.2.3');
    expect(ipv4ForHost('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(ipv4ForHost('[::FFFF:192.0.2.7]')).toBe('192.0.2.7');
  });

  it('maps localhost and ::1 to 127.0.0.1', () => {
    expect(ipv4ForHost('::1')).toBe('127.0.0.1');
    expect(ipv4ForHost('[::1]')).toBe('127.0.0.1');
    expect(ipv4ForHost('0:0:0:0:0:0:0:1')).toBe('127.0.0.1');
    expect(ipv4ForHost('LOCALHOST')).toBe('127.0.0.1');
  });

  it('maps names and other IPv6 literals into 127.0.0.0/8, the same way every time', () => {
    const hss = ipv4ForHost('hss.home1.net');
    expect(hss).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(hss).not.toBe('127.0.0.1');
    expect(ipv4ForHost('HSS.home1.net')).toBe(hss);
    expect(ipv4ForHost('ps.home1.net')).not.toBe(hss);
    expect(ipv4ForHost('2001:db8::1')).toBe(ipv4ForHost('2001:0db8:0:0:0:0:0:1'));
    expect(ipv4ForHost('2001:db8::1')).toMatch(/^127\./);
    expect(ipv4ForHost('999.1.1.1')).toMatch(/^127\./);
  });

  it('lets explicit addresses win and rejects explicit addresses that are not IPv4', () => {
    expect(ipv4ForHost('hss.home1.net', { 'hss.home1.net': '10.0.0.3' })).toBe('10.0.0.3');
    expect(() => ipv4ForHost('hss.home1.net', { 'hss.home1.net': 'nope' })).toThrow(TypeError);
  });

  it('frames events between non-IPv4 hosts on the mapped addresses', () => {
    const hss = { name: 'hss', host: 'hss.home1.net', port: 3868 };
    const ap = { name: 'ap', host: '::1', port: 40000 };
    const packets = decodePackets(
      encodePcapng([traceEvent({ iface: 'Cx', proto: 'diameter', from: ap, to: hss })], {
        hostAddresses: { 'hss.home1.net': '10.0.0.3' },
      }),
    );
    expect(packets.map((p) => [p.ip.src, p.ip.dst])[0]).toEqual(['127.0.0.1', '10.0.0.3']);
    expect(packets[3]?.block.comments[1]).toBe('Cx diameter/tcp ap [::1]:40000 -> hss hss.home1.net:3868');
    expect(packets.every((p) => p.ip.checksumOk && p.tcp?.checksumOk)).toBe(true);
  });
});

describe('PcapngWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trace-pcapng-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const events = [
    traceEvent({ bytes: patternBytes(4000) }),
    traceEvent({ from: AP, to: UE, summary: 'reply' }),
    traceEvent({ transport: 'udp', to: PS, summary: 'sip' }),
  ];

  it('streams to a file exactly what encodePcapng produces, complete once close resolves', async () => {
    const path = join(dir, 'trace.pcapng');
    const writer = new PcapngWriter(path);
    await writer.ready();
    for (const event of events) writer.record(event);
    await writer.close();
    const written = await readFile(path);
    expect(written.equals(encodePcapng(events))).toBe(true);
  });

  it('writes to a stream it is given', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const writer = new PcapngWriter(stream, { maxSegmentSize: 500 });
    for (const event of events) writer.record(event);
    await writer.close();
    expect(Buffer.concat(chunks).equals(encodePcapng(events, { maxSegmentSize: 500 }))).toBe(true);
  });

  it('refuses events after close', async () => {
    const writer = new PcapngWriter(join(dir, 'closed.pcapng'));
    await writer.close();
    expect(() => writer.record(events[0]!)).toThrow(/closed/);
  });

  it('reports a file that cannot be opened', async () => {
    const writer = new PcapngWriter(join(dir, 'missing', 'trace.pcapng'));
    await expect(writer.ready()).rejects.toThrow(/ENOENT/);
    await expect(writer.close()).rejects.toThrow(/ENOENT/);
  });

  it('writes a valid file for a trace with no events', async () => {
    const path = join(dir, 'empty.pcapng');
    const writer = new PcapngWriter(path);
    await writer.close();
    const blocks = readBlocks(await readFile(path));
    expect(blocks.map((b) => b.type)).toEqual([0x0a0d0d0a, 1]);
  });

  it('uses the timestamps of the events it is given', async () => {
    const path = join(dir, 'ts.pcapng');
    const writer = new PcapngWriter(path);
    writer.record(traceEvent({ transport: 'udp', ts: T0 + 1 }));
    await writer.close();
    const [packet] = decodePackets(await readFile(path));
    expect(packet?.block.timestamp).toBe(1700000000124456);
  });
});
