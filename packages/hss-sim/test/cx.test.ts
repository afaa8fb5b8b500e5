/**
 * Cx MAR/MAA over TCP with the codec's client: every answer the HSS gives (DESIGN.md section 11, TS 29.229).
 */
import {
  makeSqn,
  seqOf,
  indOf,
  sqnFromBytes,
  Usim,
  UsimSqnArray,
  Milenage,
  computeAuts,
} from '@ut-testbed/aka-crypto';
import {
  APPLICATION_CX,
  APPLICATION_SH,
  APPLICATION_ZH,
  buildCer,
  DiameterClient,
  encodeMessage,
  findAvp,
  getNumber,
} from '@ut-testbed/diameter-codec';
import { connect, CX_PEER, maa, mar, rawPeer, startHss, USER1 } from './support';
import { SqliteSubscriberStore, type HssService } from '../src';

let hss: HssService;
let ap: DiameterClient;
beforeEach(async () => {
  hss = await startHss();
  ap = await connect(hss.endpoints.diameter);
});
afterEach(async () => {
  await ap.close();
  await hss.close();
});

/** SQN of a vector, recovered as the USIM would (AUTN xor AK). */
function sqnOf(item: { authenticate?: Buffer }): number {
  const rand = item.authenticate!.subarray(0, 16);
  const autn = item.authenticate!.subarray(16, 32);
  const { ak } = new Milenage(USER1.k, USER1.opc).f2345(rand);
  const sqn = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) sqn[i] = autn[i]! ^ ak[i]!;
  return sqnFromBytes(sqn);
}

describe('Cx MAR/MAA when the store fails', () => {
  it('answers with its own MAA: 5012, identities echoed, no E bit, no internals', async () => {
    const inner = new SqliteSubscriberStore(':memory:');
    const failing = new Proxy(inner, {
      get(target, prop, recv) {
        if (prop === 'resync') return () => Promise.reject(new Error('database is locked'));
        const v = Reflect.get(target, prop, recv) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const h = await startHss({ store: failing });
    const c = await connect(h.endpoints.diameter);
    try {
      // a valid AUTS, so that the HSS goes on to the store's resync, which fails
      const rand = Buffer.alloc(16, 3);
      const auts = computeAuts(new Milenage(USER1.k, USER1.opc), rand, makeSqn(100, 0));
      const answer = await c.request(mar({ authorization: Buffer.concat([rand, auts]) }));
      const a = maa(answer);
      expect(a.resultCode).toBe(5012);
      expect(a.userName).toBe(USER1.impi);
      expect(a.publicIdentity).toBe(USER1.impus[0]);
      expect(answer.flags & 0x20).toBe(0);
      expect(findAvp(answer.avps, 'Error-Message')!.data.toString()).toBe(
        'the request could not be processed',
      );
    } finally {
      await c.close();
      await h.close();
    }
  });
});

describe('Cx MAR/MAA', () => {
  it('advertises Cx, Sh and Zh as Vendor-Specific-Application-Id with vendor 10415', async () => {
    const caps = ap.connection!.remote!;
    expect(caps.originHost).toBe('hss.home1.net');
    expect(caps.vendorSpecificApplicationIds).toEqual(
      [APPLICATION_CX, APPLICATION_SH, APPLICATION_ZH].map((id) => ({
        vendorId: 10415,
        authApplicationId: id,
      })),
    );
  });

  it('answers a MAR with one AKA vector the USIM accepts, echoing the identities and listing every IMPU', async () => {
    const answer = await ap.request(mar());
    const a = maa(answer);
    expect(a.resultCode).toBe(2001);
    expect(a.experimentalResult).toBeUndefined();
    expect(a.userName).toBe(USER1.impi);
    expect(a.publicIdentity).toBe(USER1.impus[0]);
    expect(a.sipNumberAuthItems).toBe(1);
    expect(a.impuList).toEqual(USER1.impus);
    const item = a.items[0]!;
    expect(item.itemNumber).toBe(1);
    expect(item.scheme).toBe('Digest-AKAv1-MD5');
    expect(item.authenticate!.length).toBe(32);
    expect(item.authorization!.length).toBe(8);
    const r = new Usim(USER1.k, USER1.opc).authenticate(
      item.authenticate!.subarray(0, 16),
      item.authenticate!.subarray(16),
    );
    expect(r.result).toBe('ok');
    if (r.result === 'ok') {
      expect(r.res.equals(item.authorization!)).toBe(true);
      expect(r.ck.equals(item.confidentialityKey!)).toBe(true);
      expect(r.ik.equals(item.integrityKey!)).toBe(true);
      expect(r.amf.toString('hex')).toBe('b9b9');
    }
  });

  it('SIP-Number-Auth-Items 3 gives 3 distinct vectors numbered 1..3 with increasing SEQ and one IND', async () => {
    const a = maa(await ap.request(mar({ sipNumberAuthItems: 3 })));
    expect(a.sipNumberAuthItems).toBe(3);
    expect(a.items.map((i) => i.itemNumber)).toEqual([1, 2, 3]);
    expect(new Set(a.items.map((i) => i.authenticate!.toString('hex'))).size).toBe(3);
    const sqns = a.items.map(sqnOf);
    expect(sqns.map((s) => seqOf(s))).toEqual([1, 2, 3]);
    expect(new Set(sqns.map((s) => indOf(s))).size).toBe(1);
  });

  it('caps SIP-Number-Auth-Items at the configured maximum', async () => {
    const a = maa(await ap.request(mar({ sipNumberAuthItems: 1_000_000 })));
    expect(a.sipNumberAuthItems).toBe(16);
    expect(a.items).toHaveLength(16);
  });

  it('unknown IMPI: Experimental-Result 5001 (vendor 10415), no Result-Code, identities echoed', async () => {
    const a = maa(await ap.request(mar({ userName: 'nobody@home1.net' })));
    expect(a.experimentalResult).toEqual({ vendorId: 10415, code: 5001 });
    expect(a.resultCode).toBeUndefined();
    expect(a.userName).toBe('nobody@home1.net');
    expect(a.publicIdentity).toBe(USER1.impus[0]);
    expect(a.items).toEqual([]);
    expect(a.impuList).toEqual([]);
  });

  it("an IMPU that is not the IMPI's: 5002, with the IMPI's real IMPUs listed", async () => {
    const a = maa(await ap.request(mar({ publicIdentity: 'sip:user2_public1@home1.net' })));
    expect(a.experimentalResult).toEqual({ vendorId: 10415, code: 5002 });
    expect(a.resultCode).toBeUndefined();
    expect(a.publicIdentity).toBe('sip:user2_public1@home1.net');
    expect(a.impuList).toEqual(USER1.impus);
    expect(a.items).toEqual([]);
  });

  it('an IMPU no subscriber has: 5001 USER_UNKNOWN, not 5002 (TS 29.228 6.3.1)', async () => {
    const a = maa(await ap.request(mar({ publicIdentity: 'sip:nobody@home1.net' })));
    expect(a.experimentalResult).toEqual({ vendorId: 10415, code: 5001 });
    expect(a.publicIdentity).toBe('sip:nobody@home1.net');
  });

  it('an unsupported scheme: 5006', async () => {
    const a = maa(await ap.request(mar({ scheme: 'SIP Digest' })));
    expect(a.experimentalResult).toEqual({ vendorId: 10415, code: 5006 });
  });

  it('"Unknown" (any case) gets the subscriber default; AKAv2 is served when asked for', async () => {
    expect(maa(await ap.request(mar({ scheme: 'Unknown' }))).items[0]!.scheme).toBe('Digest-AKAv1-MD5');
    expect(maa(await ap.request(mar({ scheme: 'unknown' }))).items[0]!.scheme).toBe('Digest-AKAv1-MD5');
    expect(maa(await ap.request(mar({ scheme: 'Digest-AKAv2-MD5' }))).items[0]!.scheme).toBe(
      'Digest-AKAv2-MD5',
    );
  });

  it('a MAR without User-Name: Result-Code 5005 with a User-Name example in Failed-AVP, Public-Identity echoed', async () => {
    const m = mar();
    const answer = await ap.request({ ...m, avps: m.avps.filter((x) => x.code !== 1) });
    const a = maa(answer);
    expect(a.resultCode).toBe(5005);
    expect(a.publicIdentity).toBe(USER1.impus[0]);
    expect(findAvp(answer.avps, 'Failed-AVP')!.avps![0]!.code).toBe(1);
    expect(answer.flags & 0x20).toBe(0);
  });

  it("accepts a MAR in Kamailio's order (Public-Identity before User-Name, no Destination-Host)", async () => {
    const m = mar();
    const [sid, ...rest] = m.avps;
    const pi = rest.find((x) => x.code === 601)!;
    const reordered = [sid!, pi, ...rest.filter((x) => x !== pi)];
    expect(maa(await ap.request({ ...m, avps: reordered })).resultCode).toBe(2001);
  });

  it('resync: a verified AUTS moves SQN past SQN_MS and the fresh vector is accepted', async () => {
    // the USIM is ahead in IND 0, the slot of the first consumer (ap.home1.net)
    const usim = new Usim(USER1.k, USER1.opc, UsimSqnArray.startingAt(makeSqn(5000, 0)));
    const first = maa(await ap.request(mar())).items[0]!;
    const r1 = usim.authenticate(first.authenticate!.subarray(0, 16), first.authenticate!.subarray(16));
    expect(r1.result).toBe('sync-failure');
    if (r1.result !== 'sync-failure') return;
    const randAuts = Buffer.concat([first.authenticate!.subarray(0, 16), r1.auts]);
    const a = maa(await ap.request(mar({ authorization: randAuts })));
    expect(a.resultCode).toBe(2001);
    const fresh = a.items[0]!;
    expect(seqOf(sqnOf(fresh))).toBe(5001);
    expect(
      usim.authenticate(fresh.authenticate!.subarray(0, 16), fresh.authenticate!.subarray(16)).result,
    ).toBe('ok');
    expect((await hss.store.get(USER1.impi))!.seqHe).toBe(5001);
  });

  it('resync with a bad MAC-S: Result-Code 5012 and SQN untouched', async () => {
    const before = (await hss.store.get(USER1.impi))!.seqHe;
    const rand = Buffer.alloc(16, 7);
    const auts = computeAuts(new Milenage(USER1.k, USER1.opc), rand, makeSqn(9000, 0));
    auts[13]! ^= 1;
    const a = maa(await ap.request(mar({ authorization: Buffer.concat([rand, auts]) })));
    expect(a.resultCode).toBe(5012);
    expect(a.items).toEqual([]);
    expect((await hss.store.get(USER1.impi))!.seqHe).toBe(before);
  });

  it('gives each requesting Origin-Host its own IND, and SEQ advances across them', async () => {
    const scscf = await connect(hss.endpoints.diameter, {
      originHost: 'scscf.home1.net',
      originRealm: 'home1.net',
      applications: [{ vendorId: 10415, authApplicationId: APPLICATION_CX }],
    });
    try {
      const a = sqnOf(maa(await ap.request(mar())).items[0]!);
      const b = sqnOf(maa(await scscf.request(mar({ originHost: 'scscf.home1.net' }))).items[0]!);
      const c = sqnOf(maa(await ap.request(mar())).items[0]!);
      expect(indOf(a)).toBe(indOf(c));
      expect(indOf(b)).not.toBe(indOf(a));
      expect([seqOf(a), seqOf(b), seqOf(c)]).toEqual([1, 2, 3]);
    } finally {
      await scscf.close();
    }
  });

  it('serves 300 MARs in flight at once with unique, increasing SQNs', async () => {
    const answers = await Promise.all(Array.from({ length: 300 }, () => ap.request(mar())));
    const seqs = answers.map((x) => seqOf(sqnOf(maa(x).items[0]!)));
    expect(new Set(seqs).size).toBe(300);
    expect(Math.max(...seqs)).toBe(300);
  });

  it('answers a malformed request with its protocol error, echoing both ids, and keeps serving', async () => {
    const raw = await rawPeer(hss.endpoints.diameter);
    try {
      raw.send(
        encodeMessage(
          buildCer({
            ...CX_PEER,
            hostIpAddresses: ['127.0.0.1'],
            vendorId: 0,
            productName: 'raw',
            vendorSpecificApplicationIds: [{ vendorId: 10415, authApplicationId: APPLICATION_CX }],
          }),
        ),
      );
      expect(getNumber((await raw.next()).avps, 'Result-Code')).toBe(2001);
      // Public-Identity with a length below its 12-byte header: 5014
      const bad = mar({ hopByHop: 0x01020304, endToEnd: 0x05060708 });
      const bytes = encodeMessage(bad);
      const at = bytes.indexOf(Buffer.from('00000259', 'hex'));
      bytes.writeUInt32BE(((bytes.readUInt32BE(at + 4) & 0xff000000) | 9) >>> 0, at + 4);
      raw.send(bytes);
      const answer = await raw.next();
      expect(getNumber(answer.avps, 'Result-Code')).toBe(5014);
      expect([answer.hopByHop, answer.endToEnd]).toEqual([0x01020304, 0x05060708]);
      expect(findAvp(answer.avps, 'Failed-AVP')!.avps![0]!.code).toBe(601);
      // the same connection still serves a good MAR, and its ids are echoed too
      raw.send(encodeMessage(mar({ hopByHop: 11, endToEnd: 12 })));
      const ok = await raw.next();
      expect(maa(ok).resultCode).toBe(2001);
      expect([ok.hopByHop, ok.endToEnd]).toEqual([11, 12]);
    } finally {
      raw.close();
    }
  });

  it('uses the configured Origin-Host in every answer', async () => {
    const answer = await ap.request(mar({ userName: 'nobody@home1.net' }));
    expect(findAvp(answer.avps, 'Origin-Host')!.data.toString()).toBe('hss.home1.net');
    expect(findAvp(answer.avps, 'Origin-Realm')!.data.toString()).toBe('home1.net');
  });
});
