import {
  avp,
  ANSWER_MESSAGE,
  buildCxMar,
  buildErrorAnswer,
  buildMessage,
  buildUdr,
  buildZhMar,
  checkAgainst,
  checkGrammar,
  decodeMessage,
  encodeMessage,
  findAvp,
  parseCcf,
  protocolError,
  type Avp,
  type DiameterMessage,
} from '../src';
import { MAR, MAR_INPUT } from './vectors';

const mar = (): DiameterMessage => decodeMessage(MAR).message!;
const without = (m: DiameterMessage, code: number): DiameterMessage => ({
  ...m,
  avps: m.avps.filter((a) => a.code !== code),
});

describe('CCF', () => {
  it('parses fixed, required, optional and repeated AVPs', () => {
    expect(
      parseCcf('<Session-Id> {Origin-Host} 1*{Host-IP-Address} *[Route-Record] 0*1<Session-Id> *[AVP]'),
    ).toEqual({
      allowOther: true,
      rules: [
        { name: 'Session-Id', min: 1, max: 1, fixedHead: true },
        { name: 'Origin-Host', min: 1, max: 1, fixedHead: false },
        { name: 'Host-IP-Address', min: 1, max: Infinity, fixedHead: false },
        { name: 'Route-Record', min: 0, max: Infinity, fixedHead: false },
        { name: 'Session-Id', min: 0, max: 1, fixedHead: true },
      ],
    });
  });
});

describe('command grammars', () => {
  it('5005 MISSING_AVP for a MAR without Server-Name, with an example Server-Name of empty payload', () => {
    const e = checkGrammar(without(mar(), 602))!;
    expect(e).toMatchObject({
      resultCode: 5005,
      name: 'DIAMETER_MISSING_AVP',
      reason: 'missing Server-Name',
    });
    expect(e.failedAvp).toEqual({ code: 602, flags: 0xc0, vendorId: 10415, data: Buffer.alloc(0) });
  });

  it('5005 with a zero Unsigned32 example for a missing SIP-Number-Auth-Items', () => {
    const e = checkGrammar(without(mar(), 607))!;
    expect(e.failedAvp).toEqual({ code: 607, flags: 0xc0, vendorId: 10415, data: Buffer.alloc(4) });
  });

  it('5005 for a MAR without Session-Id', () => {
    const e = checkGrammar(without(mar(), 263))!;
    expect(e.resultCode).toBe(5005);
    expect(e.failedAvp?.code).toBe(263);
  });

  it('rejects a MAR whose Session-Id is not the first AVP (5008, Failed-AVP the Session-Id)', () => {
    const m = mar();
    const [sid, ...rest] = m.avps;
    const e = checkGrammar({ ...m, avps: [...rest, sid!] })!;
    expect(e).toMatchObject({ resultCode: 5008, reason: 'MAR: Session-Id is not the first AVP' });
    expect(e.failedAvp).toBe(sid);
  });

  it('accepts a Kamailio-style MAR: Public-Identity before User-Name, no Destination-Host, extra AVPs', () => {
    const m = mar();
    const byCode = (c: number) => m.avps.find((a) => a.code === c)!;
    const order = [263, 260, 277, 264, 296, 283, 601, 1, 612, 607, 602];
    const kamailio: DiameterMessage = {
      ...m,
      avps: [...order.map(byCode), avp('Route-Record', 'scscf.home1.net')],
    };
    expect(kamailio.avps.some((a) => a.code === 293)).toBe(false);
    const r = decodeMessage(encodeMessage(kamailio));
    expect(r.error).toBeUndefined();
    expect(checkGrammar(r.message!)).toBeUndefined();
  });

  it('5009 for a second User-Name, Failed-AVP the extra occurrence', () => {
    const m = mar();
    const extra = avp('User-Name', 'other@home1.net');
    const e = checkGrammar({ ...m, avps: [...m.avps, extra] })!;
    expect(e.resultCode).toBe(5009);
    expect(e.failedAvp).toBe(extra);
  });

  it('VSAI: 5005 with neither application id, 5009 with both', () => {
    const m = mar();
    const withVsai = (members: Avp[]) => ({
      ...m,
      avps: m.avps.map((a) => (a.code === 260 ? { ...a, avps: members } : a)),
    });
    const vendor = avp('Vendor-Id', 10415);
    const e1 = checkGrammar(withVsai([vendor]))!;
    expect(e1.resultCode).toBe(5005);
    expect(e1.failedAvp).toEqual({
      code: 260,
      flags: 0x40,
      vendorId: 0,
      data: Buffer.alloc(0),
      avps: [{ code: 258, flags: 0x40, vendorId: 0, data: Buffer.alloc(4) }],
    });
    const e2 = checkGrammar(
      withVsai([vendor, avp('Auth-Application-Id', 1), avp('Acct-Application-Id', 1)]),
    )!;
    expect(e2.resultCode).toBe(5009);
  });

  it('5005 inside Experimental-Result without its code', () => {
    const m = buildMessage({
      commandCode: 303,
      applicationId: 16777216,
      proxiable: true,
      avps: [
        ['Session-Id', 's'],
        [
          'Vendor-Specific-Application-Id',
          [
            ['Vendor-Id', 10415],
            ['Auth-Application-Id', 16777216],
          ],
        ],
        ['Experimental-Result', [['Vendor-Id', 10415]]],
        ['Auth-Session-State', 1],
        ['Origin-Host', 'hss'],
        ['Origin-Realm', 'r'],
      ],
    });
    const e = checkGrammar(m)!;
    expect(e.resultCode).toBe(5005);
    expect(e.failedAvp?.code).toBe(297);
    expect(e.failedAvp?.avps?.[0]?.code).toBe(298);
  });

  it('an MAA needs Result-Code or Experimental-Result', () => {
    const m = buildMessage({
      commandCode: 303,
      applicationId: 16777216,
      avps: [
        ['Session-Id', 's'],
        [
          'Vendor-Specific-Application-Id',
          [
            ['Vendor-Id', 10415],
            ['Auth-Application-Id', 16777216],
          ],
        ],
        ['Auth-Session-State', 1],
        ['Origin-Host', 'hss'],
        ['Origin-Realm', 'r'],
      ],
    });
    expect(checkGrammar(m)).toMatchObject({
      resultCode: 5005,
      reason: 'MAA: missing Result-Code or Experimental-Result',
    });
  });

  it('CER needs at least one Host-IP-Address; DPR needs Disconnect-Cause', () => {
    const cer = buildMessage({
      commandCode: 257,
      applicationId: 0,
      request: true,
      avps: [
        ['Origin-Host', 'a'],
        ['Origin-Realm', 'b'],
        ['Vendor-Id', 0],
        ['Product-Name', 'x'],
      ],
    });
    expect(checkGrammar(cer)).toMatchObject({ resultCode: 5005, reason: 'missing Host-IP-Address' });
    const dpr = buildMessage({
      commandCode: 282,
      applicationId: 0,
      request: true,
      avps: [
        ['Origin-Host', 'a'],
        ['Origin-Realm', 'b'],
      ],
    });
    expect(checkGrammar(dpr)?.failedAvp?.code).toBe(273);
  });

  it('Zh MAR and Sh UDR built by the typed builders conform; a UDR without Data-Reference does not', () => {
    const zh = buildZhMar({
      ...MAR_INPUT,
      item: { scheme: 'Digest-AKAv1-MD5' },
      gussTimestamp: new Date('2024-01-01T00:00:00Z'),
    });
    expect(checkGrammar(decodeMessage(encodeMessage(zh)).message!)).toBeUndefined();
    const udr = buildUdr({
      ...MAR_INPUT,
      publicIdentity: 'sip:user1_public1@home1.net',
      dataReferences: [10],
      identitySets: [0],
    });
    expect(checkGrammar(decodeMessage(encodeMessage(udr)).message!)).toBeUndefined();
    const noRef = buildUdr({ ...MAR_INPUT, publicIdentity: 'sip:u@h', dataReferences: [] });
    expect(checkGrammar(noRef)).toMatchObject({ resultCode: 5005, reason: 'missing Data-Reference' });
  });

  it('an answer-message for a 5xxx error carries the Failed-AVP and the E bit (RFC 6733 7.2: ERR)', () => {
    const request = buildCxMar(MAR_INPUT);
    const error = checkGrammar(without(request, 602))!;
    const answer = buildErrorAnswer(request, {
      originHost: 'hss.home1.net',
      originRealm: 'home1.net',
      error,
    });
    const r = decodeMessage(encodeMessage(answer));
    expect(r.error).toBeUndefined();
    expect(checkAgainst(r.message!, ANSWER_MESSAGE)).toBeUndefined();
    expect(r.message!.flags).toBe(0x60); // P copied, E set: the answer-message, not the command's own answer
    expect(findAvp(r.message!.avps, 'Failed-AVP')?.avps?.[0]).toMatchObject({ code: 602, vendorId: 10415 });
    expect(findAvp(r.message!.avps, 'Result-Code')?.data.readUInt32BE(0)).toBe(5005);
    expect(r.message!.avps[0]!.code).toBe(263);
  });

  it('an answer-message echoes the Session-Id bytes with its own flags, and leaves out one that is not UTF-8', () => {
    const request = buildCxMar(MAR_INPUT);
    const sid = request.avps[0]!;
    const odd = { ...request, avps: [{ ...sid, flags: 0x5f }, ...request.avps.slice(1)] };
    const error = protocolError('DIAMETER_UNABLE_TO_COMPLY', 'test');
    const p = { originHost: 'hss.home1.net', originRealm: 'home1.net', error };
    const echoed = decodeMessage(encodeMessage(buildErrorAnswer(odd, p)));
    expect(echoed.error).toBeUndefined();
    expect(echoed.message!.avps[0]).toEqual({ code: 263, flags: 0x40, vendorId: 0, data: sid.data });
    const bad = {
      ...request,
      avps: [{ ...sid, data: Buffer.from('c328', 'hex') }, ...request.avps.slice(1)],
    };
    const error5004 = decodeMessage(encodeMessage(bad)).error!;
    expect(error5004).toMatchObject({ resultCode: 5004 });
    const r = decodeMessage(encodeMessage(buildErrorAnswer(bad, { ...p, error: error5004 })));
    expect(r.error).toBeUndefined();
    expect(checkGrammar(r.message!)).toBeUndefined();
    expect(findAvp(r.message!.avps, 'Session-Id')).toBeUndefined();
    expect(findAvp(r.message!.avps, 'Failed-AVP')!.avps![0]!.data.toString('hex')).toBe('c328');
  });

  it('an answer-message for a 3xxx protocol error has the E bit and follows the answer-message grammar', () => {
    const request = buildCxMar(MAR_INPUT);
    const answer = buildErrorAnswer(request, {
      originHost: 'hss.home1.net',
      originRealm: 'home1.net',
      error: protocolError('DIAMETER_APPLICATION_UNSUPPORTED', 'application 16777216 not supported'),
    });
    const r = decodeMessage(encodeMessage(answer));
    expect(r.error).toBeUndefined();
    expect(r.message!.flags).toBe(0x60);
    expect(checkGrammar(r.message!)).toBeUndefined();
    expect(findAvp(r.message!.avps, 'Result-Code')?.data.readUInt32BE(0)).toBe(3007);
  });
});
