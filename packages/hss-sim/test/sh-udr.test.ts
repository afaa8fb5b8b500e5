/**
 * Sh UDR/UDA (TS 29.328 6.1.1, TS 29.329 6.1.1/6.1.2) through answerUdr with a real SQLite store: every
 * answer goes through the codec and back, conforms to the UDA grammar, and carries the exact Sh-Data
 * document of ShDataType.xsd.
 */
import {
  APPLICATION_SH,
  avp,
  buildUdr,
  findAvp,
  getGroup,
  protocolError,
  readUda,
  type DiameterMessage,
  type UdrInput,
} from '@ut-testbed/diameter-codec';
import { received } from './support';
import { answerUdr, type UdrContext } from '../src/sh/udr';
import { SqliteSubscriberStore } from '../src/store/sqlite';

const K = Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex');
const OPC = Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex');
const AMF = Buffer.from('b9b9', 'hex');
const IMPI = 'user1_private@home1.net';
const IMPUS = ['sip:user1_public1@home1.net', 'sip:user1_public2@home1.net', 'tel:+12125551111'];

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const ALL_IMPUS =
  '<IMSPublicIdentity>sip:user1_public1@home1.net</IMSPublicIdentity>' +
  '<IMSPublicIdentity>sip:user1_public2@home1.net</IMSPublicIdentity>' +
  '<IMSPublicIdentity>tel:+12125551111</IMSPublicIdentity>';
const IMPI_EXTENSION =
  '<Extension><Extension><Extension><Extension><Extension>' +
  '<IMSPrivateUserIdentity>user1_private@home1.net</IMSPrivateUserIdentity>' +
  '</Extension></Extension></Extension></Extension></Extension>';

let store: SqliteSubscriberStore;
let ctx: UdrContext;

beforeEach(async () => {
  store = new SqliteSubscriberStore(':memory:');
  await store.add({ impi: IMPI, impus: IMPUS, k: K, opc: OPC, amf: AMF, scheme: 'Digest-AKAv1-MD5' });
  ctx = { store, originHost: 'hss.home1.net', originRealm: 'home1.net' };
});
afterEach(async () => {
  await store.close();
});

function udr(i: Partial<UdrInput>): DiameterMessage {
  return buildUdr({
    sessionId: 'ap.home1.net;1;42',
    originHost: 'ap.home1.net',
    originRealm: 'home1.net',
    destinationRealm: 'home1.net',
    publicIdentity: IMPUS[0]!,
    dataReferences: [10],
    hopByHop: 0x1234,
    endToEnd: 0x5678,
    ...i,
  });
}

/** The answer as a peer receives it: encoded, decoded, grammar-checked. */
async function ask(request: DiameterMessage) {
  const { answer, outcome } = await answerUdr(request, undefined, ctx);
  return { ...wire(answer), outcome };
}

function wire(answer: DiameterMessage) {
  const m = received(answer, {
    commandCode: 306,
    applicationId: APPLICATION_SH,
    hopByHop: 0x1234,
    endToEnd: 0x5678,
  });
  return { m, uda: readUda(m) };
}

describe('Sh UDR, Data-Reference IMSPublicIdentity (10)', () => {
  it('without Identity-Set: Result-Code 2001 and all IMPUs of the user in PublicIdentifiers', async () => {
    const { m, uda, outcome } = await ask(udr({}));
    expect(outcome).toBe('success');
    expect(uda.resultCode).toBe(2001);
    expect(uda.experimentalResult).toBeUndefined();
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}</PublicIdentifiers></Sh-Data>`,
    );
    expect(findAvp(m.avps, 'Session-Id')).toBeDefined();
    expect(m.avps[0]!.code).toBe(263);
  });

  it('ALL_IDENTITIES asked with another IMPU of the user (the TEL URI) gives the same list', async () => {
    const { uda } = await ask(udr({ publicIdentity: 'tel:+12125551111', identitySets: [0] }));
    expect(uda.resultCode).toBe(2001);
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}</PublicIdentifiers></Sh-Data>`,
    );
  });

  it('IMPLICIT_IDENTITIES and ALIAS_IDENTITIES: the subscriber is one implicit set with one profile', async () => {
    for (const set of [2, 3]) {
      const { uda } = await ask(udr({ identitySets: [set] }));
      expect(uda.userData).toBe(
        `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}</PublicIdentifiers></Sh-Data>`,
      );
    }
  });

  it('REGISTERED_IDENTITIES: nothing is registered in the simulator, an empty set and still 2001', async () => {
    const { uda } = await ask(udr({ identitySets: [1] }));
    expect(uda.resultCode).toBe(2001);
    expect(uda.userData).toBe(`${DECL}<Sh-Data><PublicIdentifiers/></Sh-Data>`);
  });

  it('several Identity-Sets: one Sh-Data-Extension element each, in schema order', async () => {
    const { uda } = await ask(udr({ identitySets: [0, 1, 2, 0] }));
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><Extension>` +
        '<RegisteredIdentities/>' +
        `<ImplicitIdentities>${ALL_IMPUS}</ImplicitIdentities>` +
        `<AllIdentities>${ALL_IMPUS}</AllIdentities>` +
        '</Extension></Sh-Data>',
    );
  });

  it('a shared IMPU: ALL_IDENTITIES is the union of the IMPUs of every owning IMPI, without repeats', async () => {
    await store.add({
      impi: 'user9_private@home1.net',
      impus: ['sip:user9@home1.net', IMPUS[0]!],
      k: K,
      opc: OPC,
      amf: AMF,
      scheme: 'Digest-AKAv1-MD5',
    });
    const { uda } = await ask(udr({ dataReferences: [10, 33] }));
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}` +
        '<IMSPublicIdentity>sip:user9@home1.net</IMSPublicIdentity></PublicIdentifiers>' +
        '<Extension><Extension><Extension><Extension><Extension>' +
        '<IMSPrivateUserIdentity>user1_private@home1.net</IMSPrivateUserIdentity>' +
        '<IMSPrivateUserIdentity>user9_private@home1.net</IMSPrivateUserIdentity>' +
        '</Extension></Extension></Extension></Extension></Extension></Sh-Data>',
    );
  });

  it('escapes identities in the XML', async () => {
    await store.add({
      impi: 'odd<&>@home1.net',
      impus: ['sip:o\'neil&"co"@home1.net', 'sip:<x>@home1.net'],
      k: K,
      opc: OPC,
      amf: AMF,
      scheme: 'Digest-AKAv1-MD5',
    });
    const { uda } = await ask(udr({ publicIdentity: 'sip:<x>@home1.net', dataReferences: [10, 33] }));
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>` +
        '<IMSPublicIdentity>sip:o&apos;neil&amp;&quot;co&quot;@home1.net</IMSPublicIdentity>' +
        '<IMSPublicIdentity>sip:&lt;x&gt;@home1.net</IMSPublicIdentity></PublicIdentifiers>' +
        '<Extension><Extension><Extension><Extension><Extension>' +
        '<IMSPrivateUserIdentity>odd&lt;&amp;&gt;@home1.net</IMSPrivateUserIdentity>' +
        '</Extension></Extension></Extension></Extension></Extension></Sh-Data>',
    );
  });

  it('a User-Identity with only an MSISDN (TBCD) is looked up as its TEL URI', async () => {
    // 12125551111: 21 21 55 15 11 f1
    const { uda } = await ask(udr({ publicIdentity: undefined, msisdn: Buffer.from('2121551511f1', 'hex') }));
    expect(uda.resultCode).toBe(2001);
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}</PublicIdentifiers></Sh-Data>`,
    );
  });
});

describe('Sh UDR, Data-Reference IMSPrivateUserIdentity (33)', () => {
  it('gives the IMPI owning the public identity, five Extension levels down', async () => {
    const { uda, outcome } = await ask(udr({ publicIdentity: IMPUS[1]!, dataReferences: [33] }));
    expect(outcome).toBe('success');
    expect(uda.resultCode).toBe(2001);
    expect(uda.userData).toBe(`${DECL}<Sh-Data>${IMPI_EXTENSION}</Sh-Data>`);
  });

  it('with IMSPublicIdentity in the same request: both in one document, schema order', async () => {
    const { uda } = await ask(udr({ dataReferences: [33, 10] }));
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><PublicIdentifiers>${ALL_IMPUS}</PublicIdentifiers>${IMPI_EXTENSION}</Sh-Data>`,
    );
  });

  it('with several Identity-Sets: the set elements and the IMPI share the first Extension', async () => {
    const { uda } = await ask(udr({ dataReferences: [10, 33], identitySets: [1, 0] }));
    expect(uda.userData).toBe(
      `${DECL}<Sh-Data><Extension><RegisteredIdentities/><AllIdentities>${ALL_IMPUS}</AllIdentities>` +
        '<Extension><Extension><Extension><Extension>' +
        '<IMSPrivateUserIdentity>user1_private@home1.net</IMSPrivateUserIdentity>' +
        '</Extension></Extension></Extension></Extension></Extension></Sh-Data>',
    );
  });
});

describe('Sh UDR errors', () => {
  it('unknown public identity: Experimental-Result 5001 (vendor 10415), no Result-Code, no Sh-User-Data', async () => {
    const { m, uda, outcome } = await ask(
      udr({ publicIdentity: 'sip:nobody@home1.net', dataReferences: [33] }),
    );
    expect(outcome).toBe('user-unknown');
    expect(uda.experimentalResult).toEqual({ vendorId: 10415, code: 5001 });
    expect(uda.resultCode).toBeUndefined();
    expect(uda.userData).toBeUndefined();
    expect(findAvp(m.avps, 'Result-Code')).toBeUndefined();
  });

  it('a Data-Reference it does not serve: Experimental-Result 5102 USER_DATA_CANNOT_BE_READ', async () => {
    for (const refs of [[0], [11], [10, 14]]) {
      const { uda, outcome } = await ask(udr({ dataReferences: refs }));
      expect(outcome).toBe('data-cannot-be-read');
      expect(uda.experimentalResult).toEqual({ vendorId: 10415, code: 5102 });
      expect(uda.resultCode).toBeUndefined();
      expect(uda.userData).toBeUndefined();
    }
  });

  it('the Data-Reference check comes before the user lookup (TS 29.328 6.1.1.1 order)', async () => {
    const { uda } = await ask(udr({ publicIdentity: 'sip:nobody@home1.net', dataReferences: [13] }));
    expect(uda.experimentalResult).toEqual({ vendorId: 10415, code: 5102 });
  });

  it('a protocol error from the caller: Result-Code and Failed-AVP in the UDA', async () => {
    const failed = avp('User-Identity', [['Public-Identity', '']]);
    const { answer, outcome } = await answerUdr(
      udr({}),
      protocolError('DIAMETER_MISSING_AVP', 'UDR: missing User-Identity', failed),
      ctx,
    );
    expect(outcome).toBe('protocol-error');
    const { m, uda } = wire(answer);
    expect(uda.resultCode).toBe(5005);
    expect(uda.experimentalResult).toBeUndefined();
    expect(uda.userData).toBeUndefined();
    const inner = getGroup(m.avps, 'Failed-AVP');
    expect(inner).toHaveLength(1);
    expect(inner[0]!.code).toBe(700);
    expect(inner[0]!.vendorId).toBe(10415);
  });

  it('an Identity-Set outside the enumeration: 5004 with that AVP as Failed-AVP', async () => {
    const { m, uda, outcome } = await ask(udr({ identitySets: [0, 9] }));
    expect(outcome).toBe('protocol-error');
    expect(uda.resultCode).toBe(5004);
    const inner = getGroup(m.avps, 'Failed-AVP');
    expect(inner).toHaveLength(1);
    expect(inner[0]!.code).toBe(708);
    expect(inner[0]!.data.readUInt32BE(0)).toBe(9);
  });

  it('a User-Identity with neither Public-Identity nor MSISDN: 5005', async () => {
    const { uda, outcome } = await ask(udr({ publicIdentity: undefined }));
    expect(outcome).toBe('protocol-error');
    expect(uda.resultCode).toBe(5005);
  });
});
