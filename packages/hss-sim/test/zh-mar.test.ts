/**
 * Zh MAR/MAA (TS 29.109 6.1.1/6.1.2) through answerZhMar with a real SQLite store and VectorIssuer: the
 * vector verifies on the USIM, the GUSS document is exact, resynchronisation moves SEQ_HE only for a valid
 * AUTS, and every error answer is the one TS 29.109 / TS 29.229 prescribe.
 */
import {
  computeAuts,
  makeSqn,
  Milenage,
  seqOf,
  sqnFromBytes,
  Usim,
  UsimSqnArray,
} from '@ut-testbed/aka-crypto';
import {
  APPLICATION_ZH,
  avp,
  buildZhMar,
  findAvp,
  getGroup,
  protocolError,
  readZhMaa,
  type DiameterMessage,
  type ZhMarInput,
} from '@ut-testbed/diameter-codec';
import { received } from './support';
import { answerZhMar, type ZhMarContext } from '../src/zh/mar';
import { SqliteSubscriberStore } from '../src/store/sqlite';
import { VectorIssuer } from '../src/vectors';

const K = Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex');
const OPC = Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex');
const AMF = Buffer.from('b9b9', 'hex');
const IMPI = 'user1_private@home1.net';
const IMPUS = ['sip:user1_public1@home1.net', 'sip:user1_public2@home1.net', 'tel:+12125551111'];

const GUSS =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<guss xmlns="urn:3gpp:gba:GBAGUSSSchema-R9:2010-02">' +
  '<bsfInfo><uiccType>GBA</uiccType></bsfInfo>' +
  '<ussList><uss id="1" type="2"><uids>' +
  '<uid>sip:user1_public1@home1.net</uid><uid>sip:user1_public2@home1.net</uid><uid>tel:+12125551111</uid>' +
  '</uids><flags/></uss></ussList>' +
  '</guss>';

let store: SqliteSubscriberStore;
let ctx: ZhMarContext;

beforeEach(async () => {
  store = new SqliteSubscriberStore(':memory:');
  await store.add({ impi: IMPI, impus: IMPUS, k: K, opc: OPC, amf: AMF, scheme: 'Digest-AKAv1-MD5' });
  ctx = { store, issuer: new VectorIssuer(store), originHost: 'hss.home1.net', originRealm: 'home1.net' };
});
afterEach(async () => {
  await store.close();
});

function mar(i: Partial<ZhMarInput>): DiameterMessage {
  return buildZhMar({
    sessionId: 'bsf.home1.net;1;7',
    originHost: 'bsf.home1.net',
    originRealm: 'home1.net',
    destinationRealm: 'home1.net',
    userName: IMPI,
    item: { scheme: 'Digest-AKAv1-MD5' },
    hopByHop: 0xabc,
    endToEnd: 0xdef,
    ...i,
  });
}

async function ask(request: DiameterMessage) {
  const { answer, outcome } = await answerZhMar(request, undefined, ctx);
  return { ...wire(answer), outcome };
}

/** The answer as the BSF receives it: encoded, decoded, grammar-checked. */
function wire(answer: DiameterMessage) {
  const m = received(answer, {
    commandCode: 303,
    applicationId: APPLICATION_ZH,
    hopByHop: 0xabc,
    endToEnd: 0xdef,
  });
  return { m, maa: readZhMaa(m) };
}

function rand(): Buffer {
  return Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex');
}

describe('Zh MAR/MAA', () => {
  it('one Digest-AKAv1-MD5 vector the USIM accepts, and the GUSS listing every IMPU', async () => {
    const { m, maa, outcome } = await ask(mar({}));
    expect(outcome).toBe('success');
    expect(maa.resultCode).toBe(2001);
    expect(maa.experimentalResult).toBeUndefined();
    expect(maa.userName).toBe(IMPI);
    expect(maa.items).toHaveLength(1);
    const item = maa.items[0]!;
    expect(item.scheme).toBe('Digest-AKAv1-MD5');
    expect(item.authenticate).toHaveLength(32);
    expect(item.confidentialityKey).toHaveLength(16);
    expect(item.integrityKey).toHaveLength(16);
    const usim = new Usim(K, OPC);
    const r = usim.authenticate(item.authenticate!.subarray(0, 16), item.authenticate!.subarray(16));
    expect(r.result).toBe('ok');
    if (r.result !== 'ok') return;
    expect(r.res.equals(item.authorization!)).toBe(true);
    expect(r.ck.equals(item.confidentialityKey!)).toBe(true);
    expect(r.ik.equals(item.integrityKey!)).toBe(true);
    expect(r.amf.equals(AMF)).toBe(true);
    expect(maa.guss).toBe(GUSS);
    // the GUSS AVP is vendor 10415 code 400
    const g = findAvp(m.avps, 'GBA-UserSecSettings')!;
    expect([g.code, g.vendorId]).toEqual([400, 10415]);
    expect(findAvp(m.avps, 'SIP-Number-Auth-Items')).toBeUndefined();
    // the SQN was taken from the store: SEQ_HE is now that vector's SEQ
    expect((await store.get(IMPI))!.seqHe).toBe(seqOf(r.sqn));
  });

  it('each MAR gets a fresh vector with a higher SQN', async () => {
    const usim = new Usim(K, OPC);
    const sqns: number[] = [];
    for (let n = 0; n < 3; n++) {
      const item = (await ask(mar({}))).maa.items[0]!;
      const r = usim.authenticate(item.authenticate!.subarray(0, 16), item.authenticate!.subarray(16));
      expect(r.result).toBe('ok');
      if (r.result === 'ok') sqns.push(r.sqn);
    }
    expect(sqns[1]!).toBeGreaterThan(sqns[0]!);
    expect(sqns[2]!).toBeGreaterThan(sqns[1]!);
    expect((await store.get(IMPI))!.seqHe).toBe(3);
  });

  it('no scheme, or "Unknown": still Digest-AKAv1-MD5', async () => {
    for (const item of [undefined, { scheme: 'Unknown' }, { scheme: 'digest-akav1-md5' }]) {
      const { maa } = await ask(mar({ item }));
      expect(maa.resultCode).toBe(2001);
      expect(maa.items[0]!.scheme).toBe('Digest-AKAv1-MD5');
    }
  });

  it('identified by Public-Identity only: the owning IMPI is found and returned in User-Name', async () => {
    const { maa } = await ask(mar({ userName: undefined, publicIdentity: 'tel:+12125551111' }));
    expect(maa.resultCode).toBe(2001);
    expect(maa.userName).toBe(IMPI);
    expect(maa.publicIdentity).toBe('tel:+12125551111');
    expect(maa.guss).toBe(GUSS);
  });

  it('unknown IMPI or IMPU: Experimental-Result 5001 (vendor 10415), no Result-Code, no vector, no GUSS', async () => {
    for (const who of [
      { userName: 'nobody@home1.net' },
      { userName: undefined, publicIdentity: 'sip:no@home1.net' },
    ]) {
      const { m, maa, outcome } = await ask(mar(who));
      expect(outcome).toBe('user-unknown');
      expect(maa.experimentalResult).toEqual({ vendorId: 10415, code: 5001 });
      expect(maa.resultCode).toBeUndefined();
      expect(maa.items).toHaveLength(0);
      expect(maa.guss).toBeUndefined();
      expect(findAvp(m.avps, 'Result-Code')).toBeUndefined();
    }
    expect((await store.get(IMPI))!.seqHe).toBe(0);
  });

  it('an IMPU shared by two IMPIs, without User-Name: 5012, the BSF has to name the IMPI', async () => {
    await store.add({
      impi: 'user9_private@home1.net',
      impus: [IMPUS[0]!],
      k: K,
      opc: OPC,
      amf: AMF,
      scheme: 'Digest-AKAv1-MD5',
    });
    const { maa, outcome } = await ask(mar({ userName: undefined, publicIdentity: IMPUS[0]! }));
    expect(outcome).toBe('unable-to-comply');
    expect(maa.resultCode).toBe(5012);
    expect(maa.items).toHaveLength(0);
  });

  it('a scheme other than Digest-AKAv1-MD5: Experimental-Result 5006, User-Name echoed', async () => {
    for (const scheme of ['Digest-AKAv2-MD5', 'SIP Digest', 'Digest-MD5']) {
      const { maa, outcome } = await ask(mar({ item: { scheme } }));
      expect(outcome).toBe('scheme-not-supported');
      expect(maa.experimentalResult).toEqual({ vendorId: 10415, code: 5006 });
      expect(maa.resultCode).toBeUndefined();
      expect(maa.userName).toBe(IMPI);
      expect(maa.items).toHaveLength(0);
    }
  });

  it('neither User-Name nor Public-Identity: 5005 with Failed-AVP User-Name', async () => {
    const { m, maa, outcome } = await ask(mar({ userName: undefined }));
    expect(outcome).toBe('protocol-error');
    expect(maa.resultCode).toBe(5005);
    const inner = getGroup(m.avps, 'Failed-AVP');
    expect(inner.map((a) => a.code)).toEqual([1]);
  });

  it('a protocol error from the caller: its Result-Code and Failed-AVP, identities echoed', async () => {
    const failed = avp('Origin-Realm', '');
    const { answer, outcome } = await answerZhMar(
      mar({ publicIdentity: IMPUS[1]! }),
      protocolError('DIAMETER_MISSING_AVP', 'MAR: missing Origin-Realm', failed),
      ctx,
    );
    expect(outcome).toBe('protocol-error');
    const { m, maa } = wire(answer);
    expect(maa.resultCode).toBe(5005);
    expect(maa.userName).toBe(IMPI);
    expect(maa.publicIdentity).toBe(IMPUS[1]);
    expect(getGroup(m.avps, 'Failed-AVP').map((a) => a.code)).toEqual([296]);
    expect(maa.items).toHaveLength(0);
  });
});

describe('Zh resynchronisation', () => {
  it('a verified RAND || AUTS moves SEQ_HE past SQN_MS and the fresh vector is accepted', async () => {
    // the USIM is ahead in IND 0, the slot of the first consumer of this store (bsf.home1.net)
    const usim = new Usim(K, OPC, UsimSqnArray.startingAt(makeSqn(7000, 0)));
    const first = (await ask(mar({}))).maa.items[0]!;
    const r1 = usim.authenticate(first.authenticate!.subarray(0, 16), first.authenticate!.subarray(16));
    expect(r1.result).toBe('sync-failure');
    if (r1.result !== 'sync-failure') return;
    const randAuts = Buffer.concat([first.authenticate!.subarray(0, 16), r1.auts]);
    expect(randAuts).toHaveLength(30);

    const { maa, outcome } = await ask(
      mar({ item: { scheme: 'Digest-AKAv1-MD5', authorization: randAuts } }),
    );
    expect(outcome).toBe('resync');
    expect(maa.resultCode).toBe(2001);
    expect(maa.guss).toBe(GUSS);
    const fresh = maa.items[0]!;
    const r2 = usim.authenticate(fresh.authenticate!.subarray(0, 16), fresh.authenticate!.subarray(16));
    expect(r2.result).toBe('ok');
    if (r2.result !== 'ok') return;
    expect(r2.res.equals(fresh.authorization!)).toBe(true);
    expect(seqOf(r2.sqn)).toBe(7001);
    expect((await store.get(IMPI))!.seqHe).toBe(7001);
  });

  it('a bad MAC-S: Result-Code 5012, no vector, SEQ_HE untouched', async () => {
    await ask(mar({}));
    const before = (await store.get(IMPI))!.seqHe;
    // a genuine AUTS for SQN_MS far ahead, with one bit of MAC-S flipped
    const auts = computeAuts(new Milenage(K, OPC), rand(), makeSqn(9000, 0));
    auts[13]! ^= 1;
    const { maa, outcome } = await ask(
      mar({ item: { scheme: 'Digest-AKAv1-MD5', authorization: Buffer.concat([rand(), auts]) } }),
    );
    expect(outcome).toBe('resync-failed');
    expect(maa.resultCode).toBe(5012);
    expect(maa.experimentalResult).toBeUndefined();
    expect(maa.items).toHaveLength(0);
    expect(maa.guss).toBeUndefined();
    expect((await store.get(IMPI))!.seqHe).toBe(before);
  });

  it('SIP-Authorization that is not 30 octets: 5012, SEQ_HE untouched', async () => {
    const { maa, outcome } = await ask(
      mar({ item: { scheme: 'Digest-AKAv1-MD5', authorization: Buffer.alloc(29, 1) } }),
    );
    expect(outcome).toBe('resync-failed');
    expect(maa.resultCode).toBe(5012);
    expect((await store.get(IMPI))!.seqHe).toBe(0);
  });

  it('a valid AUTS whose SQN_MS is behind SEQ_HE: no change needed, a fresh vector anyway', async () => {
    for (let n = 0; n < 3; n++) await ask(mar({}));
    expect((await store.get(IMPI))!.seqHe).toBe(3);
    const auts = computeAuts(new Milenage(K, OPC), rand(), makeSqn(1, 0));
    const { maa, outcome } = await ask(
      mar({ item: { scheme: 'Digest-AKAv1-MD5', authorization: Buffer.concat([rand(), auts]) } }),
    );
    expect(outcome).toBe('resync');
    expect(maa.resultCode).toBe(2001);
    const sqn = sqnFromBytes(sqnOfItem(maa.items[0]!));
    expect(seqOf(sqn)).toBe(4);
    expect((await store.get(IMPI))!.seqHe).toBe(4);
  });
});

/** SQN of a vector as the USIM recovers it (AUTN xor AK), without the freshness check. */
function sqnOfItem(item: { authenticate?: Buffer }): Buffer {
  const r = item.authenticate!.subarray(0, 16);
  const autn = item.authenticate!.subarray(16, 32);
  const { ak } = new Milenage(K, OPC).f2345(r);
  const sqn = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) sqn[i] = autn[i]! ^ ak[i]!;
  return sqn;
}
