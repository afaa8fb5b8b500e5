/**
 * Interop with SIPp 3.6.1 (Debian sip-tester, /usr/bin/sipp; set SIPP to use another binary), on 127.0.0.1:
 * SIPp as the UAC sends OPTIONS to an endpoint over UDP and over TCP and expects its 200; SIPp as the UAS
 * answers an OPTIONS from the endpoint; SIPp sends the same OPTIONS twice (same branch) over UDP and must
 * get the same 200 twice (its scenario compares the To tags) while onRequest runs once. The same for
 * MESSAGE (RFC 3428, with a text/plain body): one over UDP and TCP, and the same one twice. Each SIPp run is a
 * foreground child process bounded by -timeout with -timeout_error; its exit code (0: every call
 * succeeded) and its output are asserted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import {
  createEndpoint,
  createRequest,
  runSipp,
  SIPP_BINARY,
  SIPP_BOUNDED,
  sippPorts,
  sippProblems,
  type Endpoint,
  type SipMessage,
  type SippRun,
} from '../src';

const scenario = (name: string) => join(__dirname, 'sipp', name);
const bounded = SIPP_BOUNDED;

function expectSuccess(run: SippRun): void {
  expect({
    code: run.code,
    stderr: sippProblems(run),
  }).toEqual({ code: 0, stderr: [] });
  expect(run.stdout).toMatch(/Successful call\s+\|\s+\d+\s+\|\s+1\s/);
  expect(run.stdout).toMatch(/Failed call\s+\|\s+\d+\s+\|\s+0\s/);
}

let ep: Endpoint;
let sink: MemorySink;
let handled: SipMessage[];

beforeAll(() => {
  if (!existsSync(SIPP_BINARY))
    throw new Error(`SIPp not found at ${SIPP_BINARY} (Debian package sip-tester; or set SIPP)`);
});

beforeEach(async () => {
  sink = new MemorySink();
  handled = [];
  ep = await createEndpoint({
    transports: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    allow: ['OPTIONS', 'MESSAGE'],
    tracer: createTracer({ sinks: [sink] }),
    name: 'sip-core',
    peerName: () => 'sipp',
    onRequest: (req, tx) => {
      handled.push(req);
      tx.respond(200, 'OK', [['Allow', 'OPTIONS, MESSAGE']]);
    },
  });
});

afterEach(() => ep.close());

const port = (protocol: 'udp' | 'tcp') => ep.addresses.find((a) => a.protocol === protocol)!.port;

/** One call of a SIPp UAC scenario against the endpoint, over the given transport (-t u1 or t1). */
async function uac(file: string, protocol: 'udp' | 'tcp', mode: 'u1' | 't1'): Promise<SippRun> {
  const { args } = await sippPorts();
  return runSipp([
    `127.0.0.1:${port(protocol)}`,
    '-sf',
    scenario(file),
    '-t',
    mode,
    '-s',
    'ps',
    ...args,
    ...bounded,
  ]);
}

describe.each([
  ['udp', 'u1'],
  ['tcp', 't1'],
] as const)('SIPp UAC over %s (-t %s)', (protocol, mode) => {
  test('OPTIONS to the endpoint gets 200 with Allow', async () => {
    const run = await uac('options-uac.xml', protocol, mode);
    expectSuccess(run);
    expect(handled.map((m) => [m.method, m.uri, m.get('CSeq')])).toEqual([
      ['OPTIONS', `sip:ps@127.0.0.1:${port(protocol)}`, '1 OPTIONS'],
    ]);
    expect(handled[0]!.getAll('Via')[0]).toMatch(
      new RegExp(
        `^SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:\\d+;branch=z9hG4bK[^;]+;rport=\\d+;received=127.0.0.1$`,
      ),
    );
    expect(sink.events.map((e) => [e.transport, e.summary])).toEqual([
      [protocol, `OPTIONS sip:ps@127.0.0.1:${port(protocol)}`],
      [protocol, '200 OK (OPTIONS)'],
    ]);
  });
});

test('the endpoint sends OPTIONS to a SIPp UAS over UDP and gets its 200', async () => {
  const { sip, args } = await sippPorts();
  const uas = runSipp(['-sf', scenario('options-uas.xml'), '-t', 'u1', ...args, ...bounded]);
  // SIPp may not be bound yet when the first request goes: Timer E retransmits it
  const res = await ep.request(
    createRequest({
      method: 'OPTIONS',
      uri: `sip:sipp@127.0.0.1:${sip}`,
      from: '<sip:ps@127.0.0.1>',
      to: `<sip:sipp@127.0.0.1:${sip}>`,
    }),
    { protocol: 'udp', host: '127.0.0.1', port: sip },
  );
  expect([res.status, res.get('Allow')]).toEqual([200, 'OPTIONS, MESSAGE']);
  expect(res.get('To')).toMatch(/;tag=\d+SIPpTag01\d+$/);
  expectSuccess(await uas);
  const received = sink.events.filter((e) => e.to.name === 'sip-core').map((e) => e.summary);
  // one 200 (two if SIPp also answered a retransmission of ours: the second is absorbed by Completed)
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(new Set(received)).toEqual(new Set(['200 OK (OPTIONS)']));
});

test('SIPp sends the same OPTIONS twice (same branch): the same 200 twice, onRequest once', async () => {
  const { args } = await sippPorts();
  // -nr: with its own UDP retransmissions on, SIPp takes the second identical 200 for a retransmission of
  // the first and answers it by resending the second OPTIONS, which gets that 200 again, and so on
  const run = await runSipp([
    `127.0.0.1:${port('udp')}`,
    '-sf',
    scenario('options-retrans-uac.xml'),
    '-t',
    'u1',
    '-nr',
    '-s',
    'ps',
    ...args,
    ...bounded,
  ]);
  expectSuccess(run);
  expect(handled.map((m) => m.get('CSeq'))).toEqual(['1 OPTIONS', '2 OPTIONS']);
  const sent = sink.events.filter((e) => e.from.name === 'sip-core');
  expect(sent.map((e) => e.summary)).toEqual(['200 OK (OPTIONS)', '200 OK (OPTIONS)', '200 OK (OPTIONS)']);
  expect(Buffer.from(sent[1]!.bytes).equals(Buffer.from(sent[0]!.bytes))).toBe(true);
  expect(Buffer.from(sent[2]!.bytes).equals(Buffer.from(sent[0]!.bytes))).toBe(false);
});

describe.each([
  ['udp', 'u1'],
  ['tcp', 't1'],
] as const)('SIPp MESSAGE UAC over %s (-t %s)', (protocol, mode) => {
  test('MESSAGE with a body to the endpoint gets 200; onRequest sees the body', async () => {
    const run = await uac('message-uac.xml', protocol, mode);
    expectSuccess(run);
    expect(handled.map((m) => [m.method, m.get('CSeq'), m.get('Content-Type'), m.body.toString()])).toEqual([
      ['MESSAGE', '1 MESSAGE', 'text/plain', 'hello from sipp\r\n'],
    ]);
    expect(sink.events.map((e) => [e.transport, e.summary])).toEqual([
      [protocol, `MESSAGE sip:ps@127.0.0.1:${port(protocol)}`],
      [protocol, '200 OK (MESSAGE)'],
    ]);
  });
});

test('SIPp sends the same MESSAGE twice (same branch, -nr): the same 200 twice, onRequest once', async () => {
  const { args } = await sippPorts();
  const run = await runSipp([
    `127.0.0.1:${port('udp')}`,
    '-sf',
    scenario('message-retrans-uac.xml'),
    '-t',
    'u1',
    '-nr',
    '-s',
    'ps',
    ...args,
    ...bounded,
  ]);
  expectSuccess(run);
  expect(handled.map((m) => [m.get('CSeq'), m.body.toString()])).toEqual([
    ['1 MESSAGE', 'hello twice\r\n'],
    ['2 MESSAGE', 'hello twice\r\n'],
  ]);
  const received = sink.events.filter((e) => e.to.name === 'sip-core').map((e) => e.summary);
  expect(received).toEqual([
    `MESSAGE sip:ps@127.0.0.1:${port('udp')}`,
    `MESSAGE sip:ps@127.0.0.1:${port('udp')}`,
    `MESSAGE sip:ps@127.0.0.1:${port('udp')}`,
  ]);
  const sent = sink.events.filter((e) => e.from.name === 'sip-core');
  expect(sent.map((e) => e.summary)).toEqual(['200 OK (MESSAGE)', '200 OK (MESSAGE)', '200 OK (MESSAGE)']);
  expect(Buffer.from(sent[1]!.bytes).equals(Buffer.from(sent[0]!.bytes))).toBe(true);
  expect(Buffer.from(sent[2]!.bytes).equals(Buffer.from(sent[0]!.bytes))).toBe(false);
});
