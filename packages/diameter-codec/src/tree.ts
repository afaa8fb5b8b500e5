/** The JSON tree of a decoded message (what `diameter decode` prints): names, flags, vendors, typed values. */
import type { Avp } from './codec/avp';
import { AVP_FLAG_MANDATORY, AVP_FLAG_PROTECTED, AVP_FLAG_VENDOR } from './codec/avp';
import { FLAG_ERROR, FLAG_PROXIABLE, FLAG_REQUEST, FLAG_RETRANSMIT } from './codec/header';
import type { DecodeResult, DiameterMessage } from './codec/message';
import { decodeValue } from './codec/types';
import { defaultDictionary, type Dictionary } from './dictionary';
import { commandAbbrev } from './summary';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function avpTree(a: Avp, dict: Dictionary, depth: number, siblings: readonly Avp[]): { [k: string]: Json } {
  const def = dict.avp(a.code, a.vendorId);
  const node: { [k: string]: Json } = { code: a.code, name: def?.name ?? null };
  node.flags = {
    vendor: (a.flags & AVP_FLAG_VENDOR) !== 0,
    mandatory: (a.flags & AVP_FLAG_MANDATORY) !== 0,
    protected: (a.flags & AVP_FLAG_PROTECTED) !== 0,
  };
  if (a.flags & AVP_FLAG_VENDOR) {
    node.vendorId = a.vendorId;
    const vn = dict.vendorName(a.vendorId);
    if (vn) node.vendor = vn;
  }
  node.length = (a.flags & AVP_FLAG_VENDOR ? 12 : 8) + a.data.length;
  if (!def) {
    node.unknown = true;
    // only the application can reject it (RFC 6733 4.1): shown, flagged
    if (a.flags & AVP_FLAG_MANDATORY)
      node.unsupported = depth === 0 ? 'AVP_UNSUPPORTED (5001)' : 'M set, inside a group';
    node.hex = a.data.toString('hex');
    return node;
  }
  node.type = def.type;
  if (def.type === 'Grouped') {
    if (a.avps) node.avps = a.avps.map((c) => avpTree(c, dict, depth + 1, a.avps!));
    else node.hex = a.data.toString('hex');
    return node;
  }
  const v = decodeValue(def.type, a.data);
  if (v === undefined) {
    node.invalid = true;
    node.hex = a.data.toString('hex');
  } else if (Buffer.isBuffer(v)) {
    node.hex = v.toString('hex');
    if (/^[\x20-\x7e\r\n\t]*$/.test(v.toString('latin1')) && v.length > 0) node.text = v.toString('latin1');
  } else if (v instanceof Date) node.value = v.toISOString();
  else if (typeof v === 'bigint') node.value = v.toString();
  else if (typeof v === 'object') node.value = { family: v.family, hex: v.data.toString('hex') };
  else node.value = v;
  if (typeof v === 'number') {
    let name = def.values?.[v];
    if (def.name === 'Experimental-Result-Code') {
      const vendor = siblings.find((s) => s.code === 266 && s.vendorId === 0);
      const vid = vendor ? decodeValue('Unsigned32', vendor.data) : undefined;
      if (typeof vid === 'number') name = dict.experimentalResultName(vid, v);
    }
    if (name !== undefined) node.enum = name;
  }
  return node;
}

export function messageTree(m: DiameterMessage, dict: Dictionary = defaultDictionary): { [k: string]: Json } {
  const c = dict.command(m.commandCode, m.applicationId);
  return {
    version: m.version,
    length: m.length,
    flags: {
      request: (m.flags & FLAG_REQUEST) !== 0,
      proxiable: (m.flags & FLAG_PROXIABLE) !== 0,
      error: (m.flags & FLAG_ERROR) !== 0,
      retransmit: (m.flags & FLAG_RETRANSMIT) !== 0,
    },
    command: { code: m.commandCode, name: c?.name ?? null, abbrev: c ? commandAbbrev(m, dict) : null },
    application: { id: m.applicationId, name: dict.applicationName(m.applicationId) ?? null },
    hopByHop: hex32(m.hopByHop),
    endToEnd: hex32(m.endToEnd),
    avps: m.avps.map((a) => avpTree(a, dict, 0, m.avps)),
  };
}

/** The decode result as JSON: the message tree (when a header was read) and the first protocol error. */
export function decodeResultTree(
  r: DecodeResult,
  dict: Dictionary = defaultDictionary,
): { [k: string]: Json } {
  const out: { [k: string]: Json } = r.message ? messageTree(r.message, dict) : {};
  if (r.error) {
    const e: { [k: string]: Json } = {
      resultCode: r.error.resultCode,
      name: r.error.name,
      reason: r.error.reason,
    };
    if (r.error.failedAvp) e.failedAvp = avpTree(r.error.failedAvp, dict, 1, []);
    out.error = e;
  }
  return out;
}
