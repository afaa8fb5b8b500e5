import {
  APPLICATION_CX,
  buildCxMar,
  DiameterClient,
  readCxMaa,
  checkGrammar,
  decodeMessage,
  encodeMessage,
  getGroup,
  getNumber,
  VENDOR_3GPP,
  type CxMarInput,
  type DiameterMessage,
  type LocalPeer,
} from '@ut-testbed/diameter-codec';
import { parseConfig, type SubscriberConfig } from '@ut-testbed/config';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import pino from 'pino';
import { start, type HssOptions, type HssService } from '../src';

export const USER1 = {
  impi: 'user1_private@home1.net',
  impus: ['sip:user1_public1@home1.net', 'sip:user1_public2@home1.net', 'tel:+12125551111'],
  k: Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex'),
  opc: Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex'),
  amf: Buffer.from('b9b9', 'hex'),
};

export const silent = pino({ level: 'silent' });

/** The HSS with the default subscribers (DESIGN.md section 2) on port 0, in-memory unless a database is given. */
export async function startHss(
  o: {
    database?: string;
    subscribers?: SubscriberConfig[];
    sink?: MemorySink;
    originHost?: string;
    realm?: string;
    admin?: boolean;
  } & Omit<Partial<HssOptions>, 'hss' | 'realm'> = {},
): Promise<HssService> {
  const { database, subscribers, sink, originHost, realm, admin, ...rest } = o;
  const c = parseConfig({
    ...(realm ? { realm } : {}),
    hss: {
      listen: { host: '127.0.0.1', port: 0 },
      database: database ?? ':memory:',
      ...(originHost ? { originHost } : {}),
      ...(subscribers ? { subscribers } : {}),
      ...(admin ? { admin: { port: 0 } } : {}),
    },
  });
  return start({
    hss: c.hss,
    realm: c.realm,
    logger: silent,
    ...(sink ? { tracer: createTracer({ sinks: [sink] }) } : {}),
    ...rest,
  });
}

export const CX_PEER: LocalPeer = {
  originHost: 'ap.home1.net',
  originRealm: 'home1.net',
  applications: [{ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }],
};

export async function connect(endpoint: string, local: LocalPeer = CX_PEER): Promise<DiameterClient> {
  const [host, port] = [
    endpoint.slice(0, endpoint.lastIndexOf(':')),
    Number(endpoint.slice(endpoint.lastIndexOf(':') + 1)),
  ];
  const c = new DiameterClient({ host, port, local, requestTimeout: 10_000, maxInFlight: 1024 });
  await c.start();
  return c;
}

let session = 0;
export function mar(i: Partial<CxMarInput> = {}): DiameterMessage {
  return buildCxMar({
    sessionId: `ap.home1.net;${Date.now()};${++session}`,
    originHost: 'ap.home1.net',
    originRealm: 'home1.net',
    destinationRealm: 'home1.net',
    userName: USER1.impi,
    publicIdentity: USER1.impus[0]!,
    serverName: 'sip:ap.home1.net',
    ...i,
  });
}

export const maa = (m: DiameterMessage) => readCxMaa(m);

/** A raw TCP Diameter peer: sends exactly the bytes given, collects decoded answers (for what a client never sends). */
export async function rawPeer(endpoint: string) {
  const { connect: tcp } = await import('node:net');
  const { DiameterFramer, decodeMessage } = await import('@ut-testbed/diameter-codec');
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  const socket = tcp({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const framer = new DiameterFramer();
  const got: DiameterMessage[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  socket.on('data', (c: Buffer) => {
    for (const b of framer.push(c).messages) got.push(decodeMessage(b).message!);
    waiters.splice(0).forEach((w) => w());
  });
  socket.on('close', () => {
    closed = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    send: (b: Buffer) => socket.write(b),
    next: async (): Promise<DiameterMessage> => {
      while (got.length === 0) {
        if (closed) throw new Error('connection closed');
        await new Promise<void>((r) => waiters.push(r));
      }
      return got.shift()!;
    },
    close: () => socket.destroy(),
  };
}

/**
 * An answer as a peer receives it: encoded, decoded with no error, grammar-checked, with the command,
 * application, echoed ids, VSAI {10415, application} and Auth-Session-State NO_STATE_MAINTAINED.
 */
export function received(
  answer: DiameterMessage,
  expected: { commandCode: number; applicationId: number; hopByHop: number; endToEnd: number },
): DiameterMessage {
  const decoded = decodeMessage(encodeMessage(answer));
  expect(decoded.error).toBeUndefined();
  const m = decoded.message!;
  expect(checkGrammar(m)).toBeUndefined();
  expect(m.commandCode).toBe(expected.commandCode);
  expect(m.applicationId).toBe(expected.applicationId);
  expect(m.flags & 0x80).toBe(0); // an answer
  expect(m.hopByHop).toBe(expected.hopByHop);
  expect(m.endToEnd).toBe(expected.endToEnd);
  const vsai = getGroup(m.avps, 'Vendor-Specific-Application-Id');
  expect(getNumber(vsai, 'Vendor-Id')).toBe(VENDOR_3GPP);
  expect(getNumber(vsai, 'Auth-Application-Id')).toBe(expected.applicationId);
  expect(getNumber(m.avps, 'Auth-Session-State')).toBe(1);
  return m;
}
