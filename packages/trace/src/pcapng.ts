import type { TraceEndpoint, TraceEvent, TraceSink } from './event';
import { StreamOutput, type OutputTarget } from './file-output';
import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
  UDP_MAX_PAYLOAD,
  ipv4Packet,
  tcpMssOption,
  tcpSegment,
  udpDatagram,
} from './ip-framing';
import { fnv1a32, formatIpv4, ipv4NumberForHost, type HostAddressMap } from './ipv4-address';
import {
  IF_DESCRIPTION,
  IF_NAME,
  IF_TSRESOL,
  LINKTYPE_IPV4,
  LINKTYPE_RAW,
  OPT_COMMENT,
  SHB_USERAPPL,
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  sectionHeaderBlock,
  stringOption,
  type PcapngOption,
} from './pcapng-blocks';

/**
 * Default link type of the capture's one interface: LINKTYPE_RAW (101), packets start with the IPv4
 * header. Every pcapng reader knows it; Wireshark 4.0 decodes it exactly as LINKTYPE_IPV4 (228).
 */
export const PCAPNG_LINK_TYPE = LINKTYPE_RAW;
/** The interface's snapshot length: larger than any IPv4 packet, so nothing is cut. */
export const PCAPNG_SNAP_LENGTH = 262144;
/** if_tsresol 6: timestamps count microseconds. */
export const PCAPNG_TS_RESOLUTION = 6;
/** Default largest TCP payload per segment (the Ethernet MSS). */
export const DEFAULT_MAX_SEGMENT_SIZE = 1460;
/** Largest TCP payload per segment that the writer accepts: fits an IPv4 packet and stays below the window. */
export const MAX_SEGMENT_SIZE_LIMIT = 65495;
/** The receive window every synthetic TCP segment advertises (no window scaling). */
export const TCP_WINDOW = 65535;
/** TTL of every synthetic IPv4 packet. */
export const IP_TTL = 64;

export interface PcapngOptions {
  /** LINKTYPE_RAW (101, the default) or LINKTYPE_IPV4 (228); both mean: packets start with an IPv4 header. */
  linkType?: typeof LINKTYPE_RAW | typeof LINKTYPE_IPV4;
  /** Largest TCP payload per segment; larger messages are split. Default {@link DEFAULT_MAX_SEGMENT_SIZE}. */
  maxSegmentSize?: number;
  /** if_name of the interface. Default `ut-testbed`. */
  interfaceName?: string;
  /** Explicit IPv4 addresses for hosts, e.g. `{ 'hss.home1.net': '10.0.0.3' }`; see {@link ipv4NumberForHost}. */
  hostAddresses?: HostAddressMap;
  /** shb_userappl of the section. Default `@ut-testbed/trace`. */
  application?: string;
}

interface Direction {
  /** Next sequence number this side sends. */
  next: number;
  /** Highest sequence number of this side that the peer has acknowledged. */
  acked: number;
}

interface Flow {
  /** `ip:port` of the side that sent the first event, which the synthetic handshake makes the client. */
  client: string;
  fromClient: Direction;
  fromServer: Direction;
}

interface Address {
  ip: number;
  port: number;
  key: string;
}

/**
 * Turns trace events into pcapng blocks, one event at a time, keeping the TCP state of every flow.
 * `header()` gives the Section Header and Interface Description Blocks that start the file.
 */
export class PcapngEncoder {
  private readonly linkType: number;
  private readonly maxSegmentSize: number;
  private readonly interfaceName: string;
  private readonly application: string;
  private readonly hostAddresses: HostAddressMap | undefined;
  private readonly flows = new Map<string, Flow>();
  private ipId = 0;

  constructor(options: PcapngOptions = {}) {
    const mss = options.maxSegmentSize ?? DEFAULT_MAX_SEGMENT_SIZE;
    if (!Number.isInteger(mss) || mss < 1 || mss > MAX_SEGMENT_SIZE_LIMIT) {
      throw new RangeError(`maxSegmentSize must be an integer in 1..${MAX_SEGMENT_SIZE_LIMIT}, got ${mss}`);
    }
    this.maxSegmentSize = mss;
    this.linkType = options.linkType ?? PCAPNG_LINK_TYPE;
    if (this.linkType !== LINKTYPE_RAW && this.linkType !== LINKTYPE_IPV4) {
      throw new RangeError(`linkType must be ${LINKTYPE_RAW} or ${LINKTYPE_IPV4}, got ${this.linkType}`);
    }
    this.interfaceName = options.interfaceName ?? 'ut-testbed';
    this.application = options.application ?? '@ut-testbed/trace';
    this.hostAddresses = options.hostAddresses;
  }

  /** Section Header Block and Interface Description Block. */
  header(): Buffer {
    const idbOptions: PcapngOption[] = [
      stringOption(IF_NAME, this.interfaceName),
      stringOption(IF_DESCRIPTION, 'trace events in synthetic IPv4 and TCP/UDP headers'),
      { code: IF_TSRESOL, value: Uint8Array.of(PCAPNG_TS_RESOLUTION) },
    ];
    return Buffer.concat([
      sectionHeaderBlock([stringOption(SHB_USERAPPL, this.application)]),
      interfaceDescriptionBlock(this.linkType, PCAPNG_SNAP_LENGTH, idbOptions),
    ]);
  }

  /** The Enhanced Packet Blocks of one event (with a synthetic handshake first for a new TCP flow). */
  encodeEvent(event: TraceEvent): Buffer {
    const micros = Math.round(event.ts * 1000);
    if (!Number.isSafeInteger(micros) || micros < 0) {
      throw new RangeError(`event ts must be a non-negative number of milliseconds, got ${event.ts}`);
    }
    const src = this.address(event.from, 'from');
    const dst = this.address(event.to, 'to');
    const payload = Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength);
    const route = `${event.iface} ${event.proto}/${event.transport} ${describe(event.from)} -> ${describe(event.to)}`;
    const firstComments = [event.summary, route].filter((c) => c !== '');

    if (event.transport === 'udp') {
      if (payload.length > UDP_MAX_PAYLOAD) {
        throw new RangeError(`UDP message of ${payload.length} bytes does not fit one IPv4 datagram`);
      }
      const datagram = udpDatagram(
        { src: src.ip, dst: dst.ip, srcPort: src.port, dstPort: dst.port },
        payload,
      );
      return this.packet(micros, src, dst, IPPROTO_UDP, datagram, firstComments);
    }

    const blocks: Buffer[] = [];
    const flow = this.flow(src, dst, micros, blocks);
    const [out, back] =
      flow.client === src.key ? [flow.fromClient, flow.fromServer] : [flow.fromServer, flow.fromClient];
    const count = Math.max(1, Math.ceil(payload.length / this.maxSegmentSize));
    for (let i = 0; i < count; i++) {
      const chunk = payload.subarray(i * this.maxSegmentSize, (i + 1) * this.maxSegmentSize);
      if (diff32(out.next, out.acked) + chunk.length >= TCP_WINDOW) {
        // The peer acknowledges before the unacknowledged bytes would fill its window.
        blocks.push(
          this.tcp(micros, dst, src, back.next, out.next, TCP_ACK, Buffer.alloc(0), ['synthetic TCP ACK']),
        );
        out.acked = out.next;
      }
      const last = i === count - 1;
      const flags = chunk.length > 0 && last ? TCP_PSH | TCP_ACK : TCP_ACK;
      const comments = i === 0 ? firstComments : [`[segment ${i + 1}/${count}] ${event.summary}`.trimEnd()];
      blocks.push(this.tcp(micros, src, dst, out.next, back.next, flags, chunk, comments));
      out.next = (out.next + chunk.length) >>> 0;
      back.acked = back.next;
    }
    return Buffer.concat(blocks);
  }

  private address(endpoint: TraceEndpoint, field: string): Address {
    const { port } = endpoint;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`${field}.port must be an integer in 0..65535, got ${port}`);
    }
    const ip = ipv4NumberForHost(endpoint.host, this.hostAddresses);
    return { ip, port, key: `${formatIpv4(ip)}:${port}` };
  }

  /** The flow of this 4-tuple; a new one gets its SYN, SYN-ACK, ACK pushed onto `blocks`. */
  private flow(src: Address, dst: Address, micros: number, blocks: Buffer[]): Flow {
    const key = src.key < dst.key ? `${src.key}|${dst.key}` : `${dst.key}|${src.key}`;
    const known = this.flows.get(key);
    if (known) return known;
    const clientIsn = fnv1a32(`${src.key}>${dst.key}`);
    const serverIsn = fnv1a32(`${dst.key}>${src.key}`);
    const mss = tcpMssOption(this.maxSegmentSize);
    const empty = Buffer.alloc(0);
    blocks.push(
      this.tcp(micros, src, dst, clientIsn, 0, TCP_SYN, empty, ['synthetic TCP handshake: SYN'], mss),
      this.tcp(
        micros,
        dst,
        src,
        serverIsn,
        clientIsn + 1,
        TCP_SYN | TCP_ACK,
        empty,
        ['synthetic TCP handshake: SYN-ACK'],
        mss,
      ),
      this.tcp(micros, src, dst, clientIsn + 1, serverIsn + 1, TCP_ACK, empty, [
        'synthetic TCP handshake: ACK',
      ]),
    );
    const flow: Flow = {
      client: src.key,
      fromClient: { next: (clientIsn + 1) >>> 0, acked: (clientIsn + 1) >>> 0 },
      fromServer: { next: (serverIsn + 1) >>> 0, acked: (serverIsn + 1) >>> 0 },
    };
    this.flows.set(key, flow);
    return flow;
  }

  private tcp(
    micros: number,
    src: Address,
    dst: Address,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array,
    comments: string[],
    options?: Uint8Array,
  ): Buffer {
    const segment = tcpSegment(
      {
        src: src.ip,
        dst: dst.ip,
        srcPort: src.port,
        dstPort: dst.port,
        seq,
        ack,
        flags,
        window: TCP_WINDOW,
        options,
      },
      payload,
    );
    return this.packet(micros, src, dst, IPPROTO_TCP, segment, comments);
  }

  private packet(
    micros: number,
    src: Address,
    dst: Address,
    protocol: number,
    payload: Uint8Array,
    comments: string[],
  ): Buffer {
    this.ipId = (this.ipId + 1) & 0xffff;
    const packet = ipv4Packet({ src: src.ip, dst: dst.ip, protocol, id: this.ipId, ttl: IP_TTL }, payload);
    return enhancedPacketBlock(
      0,
      micros,
      packet,
      comments.map((comment) => stringOption(OPT_COMMENT, comment)),
    );
  }
}

/** `b - a` modulo 2^32. */
function diff32(b: number, a: number): number {
  return (b - a) >>> 0;
}

function describe(endpoint: TraceEndpoint): string {
  const host =
    endpoint.host.includes(':') && !endpoint.host.startsWith('[') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.name} ${host}:${endpoint.port}`;
}

/** A whole pcapng file holding `events`, in the order given. */
export function encodePcapng(events: readonly TraceEvent[], options: PcapngOptions = {}): Buffer {
  const encoder = new PcapngEncoder(options);
  return Buffer.concat([encoder.header(), ...events.map((event) => encoder.encodeEvent(event))]);
}

/**
 * A trace sink that streams a pcapng file: the header blocks at once, then the packets of each event as
 * it is recorded (in arrival order, whatever its `ts`). `close` resolves once the file is complete.
 */
export class PcapngWriter implements TraceSink {
  private readonly encoder: PcapngEncoder;
  private readonly output: StreamOutput;

  constructor(target: OutputTarget, options: PcapngOptions = {}) {
    this.encoder = new PcapngEncoder(options);
    this.output = new StreamOutput(target);
    this.output.write(this.encoder.header());
  }

  /** Resolves when the file is open; rejects if it cannot be opened. */
  ready(): Promise<void> {
    return this.output.ready();
  }

  /** Frames the event and queues its blocks; throws for an event that cannot be framed (e.g. a bad port). */
  record(event: TraceEvent): void {
    if (this.output.ended) throw new Error('PcapngWriter is closed');
    this.output.write(this.encoder.encodeEvent(event));
  }

  close(): Promise<void> {
    return this.output.end();
  }
}
