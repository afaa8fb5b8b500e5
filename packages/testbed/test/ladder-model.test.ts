import type { TraceEvent } from '@ut-testbed/trace';
import { DEFAULT_COLUMNS, columnFor, ladderModel, type ColumnMapping } from '../src/ladder';
import { record } from './fixtures/ladder/events';
import {
  PUBLISH,
  SECTION3_SUMMARIES,
  T0,
  publishRetransmission,
  section3Records,
} from './fixtures/ladder/section3';

const UE = 0;
const AP = 1;
const HSS = 2;
const XCAP = 3;
const PS = 4;

describe('ladderModel on the section3 trace', () => {
  const records = section3Records();
  const model = ladderModel(records);

  it('merges the two records of each message into one', () => {
    expect(records).toHaveLength(20);
    expect(model.messages.map((m) => m.summary)).toEqual(SECTION3_SUMMARIES);
    expect(model.messages.map((m) => m.records.length)).toEqual(Array(10).fill(2));
    expect(model.messages.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps the earliest timestamp of the two, and times from the first message', () => {
    expect(model.messages.map((m) => +(m.ts - T0).toFixed(1))).toEqual([
      0, 1.1, 2.6, 3.2, 5.8, 6.9, 12, 16.2, 16.2, 17.5,
    ]);
    expect(model.messages[3]!.offsetMs).toBeCloseTo(3.2, 3); // epoch ms near 1.7e12 keep about 0.2 µs
    expect(model.messages[3]!.records.map((r) => r.ts - T0)).toEqual(
      [3.2, 3.5].map((t) => expect.closeTo(t, 3)),
    );
  });

  it('keeps a request recorded at the same instant as its response before it', () => {
    // the AS request's records are both at or after its response's first one: order comes from recording
    expect(model.messages[7]!.summary).toMatch(/^PUT /);
    expect(model.messages[8]!.summary).toBe('201 Created');
    expect(model.messages[7]!.ts).toBe(model.messages[8]!.ts);
  });

  it('places each arrow between the columns of the reference network', () => {
    expect(model.columns.map((c) => c.label)).toEqual(['UE', 'AP', 'HSS', 'XCAP', 'PS']);
    expect(model.messages.map((m) => [m.fromColumn, m.toColumn])).toEqual([
      [UE, AP],
      [AP, HSS],
      [HSS, AP],
      [AP, HSS],
      [HSS, AP],
      [AP, UE],
      [UE, AP],
      [AP, XCAP],
      [XCAP, AP],
      [AP, UE],
    ]);
  });

  it('names the ends as the column rules know them, with the earliest record’s addresses', () => {
    // the UE wrote the AP as xcap.home1.net and the HSS as ap.home1.net: both map to AP, so the name in the
    // earliest record stays (the HSS's in the UDA, which it sent)
    const put = model.messages[0]!;
    expect(put.from).toEqual({ name: 'ue', host: '127.0.0.1', port: 50000 });
    expect(put.to).toEqual({ name: 'xcap.home1.net', host: '127.0.0.1', port: 8443 });
    expect(model.messages[1]!.from).toEqual({ name: 'ap', host: '127.0.0.1', port: 40001 });
    expect(model.messages[2]!.to.name).toBe('ap.home1.net');
    expect(model.columns[AP]!.names).toEqual(['xcap.home1.net', 'ap', 'ap.home1.net']);
    expect(model.columns[HSS]!.names).toEqual(['hss']);
    expect(model.columns[PS]!.names).toEqual([]);
  });

  it('draws an end by the name a rule knows when the earlier record’s name is unknown', () => {
    const model = ladderModel([
      record({ ts: 0, iface: 'Cx', from: ['aaa://ap.example', 40001], to: ['hss', 3868], summary: 'DWR' }),
      record({ ts: 0.2, iface: 'Cx', from: ['ap', 40001], to: ['hss', 3868], summary: 'DWR' }),
    ]);
    expect(model.messages).toHaveLength(1);
    expect(model.messages[0]!.from.name).toBe('ap');
    expect(model.messages[0]!.fromColumn).toBe(AP);
    expect(model.columns.map((c) => c.label)).toEqual(['UE', 'AP', 'HSS', 'XCAP', 'PS']);
  });

  it('comes out the same whatever order the records are given in', () => {
    const shuffled = [...records].reverse();
    expect(ladderModel(shuffled).messages.map((m) => m.summary)).toEqual(
      // reversed input reverses equal-ts ties only: the AS pair recorded in one instant
      SECTION3_SUMMARIES.slice(0, 7).concat([
        SECTION3_SUMMARIES[8]!,
        SECTION3_SUMMARIES[7]!,
        SECTION3_SUMMARIES[9]!,
      ]),
    );
    expect(ladderModel(shuffled).messages).toHaveLength(10);
  });
});

describe('ladderModel and repeated messages', () => {
  it('keeps a retransmission that one side recorded twice as two arrows', () => {
    const model = ladderModel(publishRetransmission());
    expect(model.messages.map((m) => m.summary)).toEqual([
      'PUBLISH sip:user2_public1@home1.net',
      '200 OK',
      'PUBLISH sip:user2_public1@home1.net',
      '200 OK',
    ]);
    expect(model.messages.map((m) => m.records.length)).toEqual([1, 1, 1, 1]);
    expect(model.messages.map((m) => [m.fromColumn, m.toColumn])).toEqual([
      [UE, PS],
      [PS, UE],
      [UE, PS],
      [PS, UE],
    ]);
  });

  it('merges the section3 trace and a retransmission to the right count', () => {
    expect(ladderModel([...section3Records(), ...publishRetransmission()]).messages).toHaveLength(14);
  });

  const ue = { name: 'ue', host: '127.0.0.1', port: 5062 };
  const ps = { name: 'ps', host: '127.0.0.1', port: 5060 };
  const publish = (ts: number, by: 'ue' | 'ps'): TraceEvent => ({
    ts,
    iface: 'Gm',
    proto: 'sip',
    transport: 'udp',
    from: by === 'ue' ? ue : { ...ue, name: 'peer' },
    to: by === 'ue' ? { ...ps, name: 'ps' } : ps,
    bytes: PUBLISH,
    summary: 'PUBLISH sip:user2_public1@home1.net',
  });

  it('pairs each send with one receive when both sides recorded a fast retransmission', () => {
    // T1 shortened to 20 ms: the copies are closer than the merge window, so only pairing tells them apart
    const model = ladderModel([publish(0, 'ue'), publish(0.3, 'ps'), publish(20, 'ue'), publish(20.2, 'ps')]);
    expect(model.messages).toHaveLength(2);
    expect(model.messages.map((m) => m.records.map((r) => r.ts))).toEqual([
      [0, 0.3],
      [20, 20.2],
    ]);
  });

  it('pairs them in order when both copies were sent before the first arrived', () => {
    const model = ladderModel([publish(0, 'ue'), publish(0.1, 'ue'), publish(0.4, 'ps'), publish(0.5, 'ps')]);
    expect(model.messages.map((m) => m.records.map((r) => r.ts))).toEqual([
      [0, 0.4],
      [0.1, 0.5],
    ]);
  });

  it('does not merge records further apart than the window', () => {
    expect(ladderModel([publish(0, 'ue'), publish(150, 'ps')]).messages).toHaveLength(2);
    expect(
      ladderModel([publish(0, 'ue'), publish(150, 'ps')], DEFAULT_COLUMNS, { mergeWindowMs: 200 }).messages,
    ).toHaveLength(1);
  });

  it('merges nothing with a negative window', () => {
    expect(ladderModel(section3Records(), DEFAULT_COLUMNS, { mergeWindowMs: -1 }).messages).toHaveLength(20);
  });

  it('does not merge equal bytes between other addresses, interfaces or transports', () => {
    const base = { ts: 0, from: ['ue-a', 50000], to: ['ap', 8443], summary: 'GET /x' } as const;
    const variants = [
      record({ ...base, from: ['ue-b', 50001] }),
      record({ ...base, from: ['ue-a', 50000, '10.0.0.9'] }),
      record({ ...base, to: ['ap', 8444] }),
      record({ ...base, iface: 'AS' }),
      record({ ...base, transport: 'tls' }),
      record({ ...base, bytes: Buffer.from('GET /y') }),
    ];
    for (const other of variants) {
      expect(ladderModel([record({ ...base }), { ...other, ts: 0.2 }]).messages).toHaveLength(2);
    }
    // the same address written as IPv4-mapped IPv6, in brackets, or as a host name is the same end
    for (const host of ['::ffff:127.0.0.1', '[::ffff:127.0.0.1]', 'localhost', '']) {
      const same = record({ ...base, ts: 0.2, from: ['ue-a', 50000, host] });
      expect(ladderModel([record({ ...base }), same]).messages).toHaveLength(1);
    }
    const v6 = (host: string, ts: number) =>
      record({ ...base, ts, from: ['ue-a', 50000, host], to: ['ap', 8443, '::1'] });
    expect(ladderModel([v6('0:0:0:0:0:0:0:1', 0), v6('::1', 0.1)]).messages).toHaveLength(1);
    expect(ladderModel([v6('::2', 0), v6('::1', 0.1)]).messages).toHaveLength(2);
  });
});

describe('columns', () => {
  it('maps names per interface with the default rules', () => {
    expect(columnFor(DEFAULT_COLUMNS, 'ue-b', 'Gm')).toBe('UE');
    expect(columnFor(DEFAULT_COLUMNS, 'UE', 'Ut')).toBe('UE');
    expect(columnFor(DEFAULT_COLUMNS, 'peer', 'Gm')).toBe('UE');
    expect(columnFor(DEFAULT_COLUMNS, 'peer', 'ISC')).toBe('S-CSCF');
    expect(columnFor(DEFAULT_COLUMNS, 'peer', 'Cx')).toBe('AP');
    expect(columnFor(DEFAULT_COLUMNS, 'peer', 'AS')).toBeUndefined();
    expect(columnFor(DEFAULT_COLUMNS, 'ap.home1.net', 'Cx')).toBe('AP');
    expect(columnFor(DEFAULT_COLUMNS, 'xcap.home1.net', 'Ut')).toBe('AP');
    expect(columnFor(DEFAULT_COLUMNS, 'xcap.home1.net', 'AS')).toBeUndefined();
    expect(columnFor(DEFAULT_COLUMNS, 'xcap-server', 'AS')).toBe('XCAP');
    expect(columnFor(DEFAULT_COLUMNS, 'hss.home1.net', 'Zh')).toBe('HSS');
    expect(columnFor(DEFAULT_COLUMNS, 'presence-server', 'Gm')).toBe('PS');
    expect(columnFor(DEFAULT_COLUMNS, 'uex', 'Gm')).toBeUndefined();
  });

  it('gives unknown names and extra columns their own column at the right, in order of use', () => {
    const model = ladderModel([
      record({ ts: 0, iface: 'Zh', from: ['bsf.home1.net', 40000], to: ['hss', 3868], summary: 'MAR x' }),
      record({ ts: 1, iface: 'ISC', from: ['peer', 5070], to: ['ps', 5060], summary: 'SUBSCRIBE y' }),
      record({ ts: 2, iface: 'Zh', from: ['hss', 3868], to: ['bsf.home1.net', 40000], summary: 'MAA 2001' }),
    ]);
    expect(model.columns.map((c) => c.label)).toEqual([
      'UE',
      'AP',
      'HSS',
      'XCAP',
      'PS',
      'bsf.home1.net',
      'S-CSCF',
    ]);
    expect(model.messages.map((m) => [m.fromColumn, m.toColumn])).toEqual([
      [5, HSS],
      [6, PS],
      [HSS, 5],
    ]);
  });

  it('takes a mapping of its own', () => {
    const mapping: ColumnMapping = {
      columns: ['A', 'B', 'PS'],
      rules: [
        { name: 'ue-a', column: 'A' },
        { name: /^ue-b$/, column: 'B' },
        { name: 'peer', iface: 'Gm', column: 'B' },
        { name: 'ps', column: 'PS' },
      ],
    };
    const model = ladderModel(
      [
        record({ ts: 0, iface: 'Gm', from: ['ue-a', 5061], to: ['ps', 5060], summary: 'SUBSCRIBE' }),
        record({ ts: 1, iface: 'Gm', from: ['ps', 5060], to: ['peer', 5062], summary: 'NOTIFY' }),
        record({ ts: 2, iface: 'Gm', from: ['ue-b', 5062], to: ['ps', 5060], summary: '200 OK' }),
      ],
      mapping,
    );
    expect(model.columns.map((c) => [c.label, c.names])).toEqual([
      ['A', ['ue-a']],
      ['B', ['peer', 'ue-b']],
      ['PS', ['ps']],
    ]);
    expect(model.messages.map((m) => [m.fromColumn, m.toColumn])).toEqual([
      [0, 2],
      [2, 1],
      [1, 2],
    ]);
  });

  it('draws an empty trace as the default columns and no message', () => {
    const model = ladderModel([]);
    expect(model.columns.map((c) => c.label)).toEqual(['UE', 'AP', 'HSS', 'XCAP', 'PS']);
    expect(model.messages).toEqual([]);
  });
});
