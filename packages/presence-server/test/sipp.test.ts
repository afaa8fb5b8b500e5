/**
 * Interop with SIPp 3.6.1 (Debian sip-tester, /usr/bin/sipp; set SIPP to use another binary), on 127.0.0.1:
 * `sipp/publish-uac.xml` runs the PUBLISH answers of RFC 3903 (initial, modify, refresh, wrong
 * Content-Type, not a PIDF body, Expires too brief, stale tag, bad event, removal) over UDP and TCP. Each SIPp run is a foreground child process bounded by -timeout with
 * -timeout_error; its exit code (0: every call succeeded), its output and the server's trace are asserted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  runSipp,
  SIPP_BINARY,
  SIPP_BOUNDED,
  sippPorts,
  sippProblems,
  type SippRun,
} from '@ut-testbed/sip-core';
import { startServer, USER1, type Server } from './support';

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

let server: Server;

beforeAll(() => {
  if (!existsSync(SIPP_BINARY))
    throw new Error(`SIPp not found at ${SIPP_BINARY} (Debian package sip-tester; or set SIPP)`);
});
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.svc.close());

describe.each([
  ['udp', 'u1'],
  ['tcp', 't1'],
] as const)('SIPp PUBLISH UAC over %s (-t %s)', (protocol, mode) => {
  test('initial 200 + SIP-ETag, modify 200, refresh 200, 415, 400, 423 + Min-Expires, stale tag 412, Event: bogus 489, Expires 0 200', async () => {
    const t = server.target(protocol);
    const run = await runSipp([
      `${t.host}:${t.port}`,
      '-sf',
      scenario('publish-uac.xml'),
      '-t',
      mode,
      ...(await sippPorts()).args,
      ...bounded,
    ]);
    expectSuccess(run);
    const sent = server.sink.events.filter((e) => e.from.name === 'ps');
    expect(sent.map((e) => e.summary)).toEqual([
      '200 OK (PUBLISH)',
      '200 OK (PUBLISH)',
      '200 OK (PUBLISH)',
      '415 Unsupported Media Type (PUBLISH)',
      '400 Bad Request (PUBLISH)',
      '423 Interval Too Brief (PUBLISH)',
      '412 Conditional Request Failed (PUBLISH)',
      '489 Bad Event (PUBLISH)',
      '200 OK (PUBLISH)',
    ]);
    expect(server.svc.composedState(USER1)).toBeUndefined();
    // the modify carried the tag of the initial 200 exactly (no leading space)
    const texts = server.sink.events.map((e) => Buffer.from(e.bytes).toString());
    const etag1 = /SIP-ETag: (\S+)/.exec(texts.find((s) => s.startsWith('SIP/2.0 200'))!)![1]!;
    expect(texts.some((s) => s.startsWith('PUBLISH') && s.includes(`SIP-If-Match: ${etag1}\r\n`))).toBe(true);
  });
});
