/**
 * RFC 6733 section 4.2 (basic) and 4.3 (derived) AVP data formats: encoding a JS value into AVP data and
 * decoding AVP data back. Decoding never throws: invalid data yields `undefined` and `checkValue` says why.
 */
import { isUtf8 } from 'node:buffer';
import { isIPv4, isIPv6 } from 'node:net';

export type AvpType =
  | 'OctetString'
  | 'Integer32'
  | 'Integer64'
  | 'Unsigned32'
  | 'Unsigned64'
  | 'Float32'
  | 'Float64'
  | 'Grouped'
  | 'Address'
  | 'Time'
  | 'UTF8String'
  | 'DiameterIdentity'
  | 'DiameterURI'
  | 'Enumerated';

/** An Address whose family is neither IPv4 (1) nor IPv6 (2): the family and the raw address bytes. */
export interface OtherAddress {
  family: number;
  data: Buffer;
}

/**
 * What a typed value decodes to: Buffer (OctetString), number (32-bit integers, floats, Enumerated),
 * bigint (64-bit integers), string (UTF8String, DiameterIdentity, DiameterURI, IPv4/IPv6 Address as text),
 * OtherAddress, Date (Time). Grouped AVPs carry their members instead (`Avp.avps`).
 */
export type AvpScalar = Buffer | number | bigint | string | Date | OtherAddress;

export const ADDRESS_FAMILY_IPV4 = 1;
export const ADDRESS_FAMILY_IPV6 = 2;

/** Seconds between the NTP epoch (1900-01-01) and the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET = 2208988800;
const TWO_32 = 4294967296;

/** Payload size of the fixed-size types, undefined for the variable ones. */
export function fixedSize(type: AvpType): number | undefined {
  switch (type) {
    case 'Integer32':
    case 'Unsigned32':
    case 'Float32':
    case 'Enumerated':
    case 'Time':
      return 4;
    case 'Integer64':
    case 'Unsigned64':
    case 'Float64':
      return 8;
    default:
      return undefined;
  }
}

/**
 * The smallest payload of a type (RFC 6733 section 7.5: a Failed-AVP example carries a zero-filled payload of
 * the minimum length for its data type; an Address needs its family plus 4 bytes).
 */
export function minimumSize(type: AvpType): number {
  if (type === 'Address') return 6;
  return fixedSize(type) ?? 0;
}

/** Longest data scanned for ASCII in JS before handing it to the native check. */
const ASCII_SCAN_LIMIT = 64;

/**
 * Whether data is valid UTF-8. Identities, realms and URIs are short ASCII, and scanning a few dozen bytes
 * here is cheaper than the call into the native `isUtf8`, which still decides anything longer or non-ASCII.
 */
function validUtf8(data: Buffer): boolean {
  const n = data.length;
  if (n <= ASCII_SCAN_LIMIT) {
    let i = 0;
    while (i < n && data[i]! < 0x80) i++;
    if (i === n) return true;
  }
  return isUtf8(data);
}

/** Why `data` is not a valid value of `type`; undefined when it is. Grouped is checked by the decoder. */
export function checkValue(type: AvpType, data: Buffer): string | undefined {
  const fixed = fixedSize(type);
  if (fixed !== undefined) {
    return data.length === fixed ? undefined : `${type} needs ${fixed} bytes of data, got ${data.length}`;
  }
  switch (type) {
    case 'UTF8String':
    case 'DiameterIdentity':
    case 'DiameterURI':
      if (!validUtf8(data)) return `${type} is not valid UTF-8`;
      if (type !== 'UTF8String' && data.length === 0) return `${type} is empty`;
      return undefined;
    case 'Address': {
      if (data.length < 2) return `Address needs a 2-byte family, got ${data.length} bytes`;
      const family = data.readUInt16BE(0);
      if (family === ADDRESS_FAMILY_IPV4 && data.length !== 6)
        return `IPv4 Address needs 4 address bytes, got ${data.length - 2}`;
      if (family === ADDRESS_FAMILY_IPV6 && data.length !== 18)
        return `IPv6 Address needs 16 address bytes, got ${data.length - 2}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // RFC 5952: compress the longest run (length >= 2) of zero groups
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return groups.join(':');
  return `${groups.slice(0, bestAt).join(':')}::${groups.slice(bestAt + bestLen).join(':')}`;
}

function ipv6Bytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  let s = text;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4 && v4[1] !== undefined) {
    const parts = v4[1].split('.').map(Number);
    tail = [((parts[0] ?? 0) << 8) | (parts[1] ?? 0), ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)];
    s = s.slice(0, s.length - v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head = '', rest] = s.split('::');
  const h = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16));
  const r = rest === undefined || rest === '' ? [] : rest.split(':').map((g) => parseInt(g, 16));
  const groups = [...h, ...new Array<number>(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail];
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Decodes valid data of a type; undefined when the data is invalid (never throws). */
export function decodeValue(type: AvpType, data: Buffer): AvpScalar | undefined {
  if (type === 'Grouped' || checkValue(type, data) !== undefined) return undefined;
  switch (type) {
    case 'OctetString':
      return data;
    case 'Integer32':
      return data.readInt32BE(0);
    case 'Unsigned32':
    case 'Enumerated':
      return type === 'Enumerated' ? data.readInt32BE(0) : data.readUInt32BE(0);
    case 'Integer64':
      return data.readBigInt64BE(0);
    case 'Unsigned64':
      return data.readBigUInt64BE(0);
    case 'Float32':
      return data.readFloatBE(0);
    case 'Float64':
      return data.readDoubleBE(0);
    case 'UTF8String':
    case 'DiameterIdentity':
    case 'DiameterURI':
      return data.toString('utf8');
    case 'Address': {
      const family = data.readUInt16BE(0);
      if (family === ADDRESS_FAMILY_IPV4) return `${data[2]}.${data[3]}.${data[4]}.${data[5]}`;
      if (family === ADDRESS_FAMILY_IPV6) return ipv6Text(data.subarray(2));
      return { family, data: data.subarray(2) };
    }
    case 'Time': {
      // RFC 6733 4.3.1 with the RFC 4330 rule: a clear top bit means the era starting 2036-02-07.
      const s = data.readUInt32BE(0);
      const seconds = s >= 0x80000000 ? s : s + TWO_32;
      return new Date((seconds - NTP_UNIX_OFFSET) * 1000);
    }
  }
}

export class ValueError extends Error {}

function need(cond: boolean, type: AvpType, value: unknown): void {
  if (!cond) throw new ValueError(`cannot encode ${String(value)} as ${type}`);
}

/** Encodes a value as AVP data. Throws ValueError for a value that does not fit the type (caller error). */
export function encodeValue(type: AvpType, value: AvpScalar): Buffer {
  switch (type) {
    case 'OctetString':
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      need(Buffer.isBuffer(value), type, value);
      return value as Buffer;
    case 'UTF8String':
    case 'DiameterIdentity':
    case 'DiameterURI':
      need(typeof value === 'string', type, value);
      return Buffer.from(value as string, 'utf8');
    case 'Integer32':
    case 'Enumerated':
    case 'Unsigned32': {
      need(typeof value === 'number' && Number.isInteger(value), type, value);
      const n = value as number;
      const b = Buffer.allocUnsafe(4);
      if (type === 'Unsigned32') {
        need(n >= 0 && n <= 0xffffffff, type, value);
        b.writeUInt32BE(n, 0);
      } else {
        need(n >= -0x80000000 && n <= 0x7fffffff, type, value);
        b.writeInt32BE(n, 0);
      }
      return b;
    }
    case 'Integer64':
    case 'Unsigned64': {
      need(typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)), type, value);
      const n = BigInt(value as bigint | number);
      const b = Buffer.allocUnsafe(8);
      if (type === 'Unsigned64') {
        need(n >= 0n && n < 1n << 64n, type, value);
        b.writeBigUInt64BE(n, 0);
      } else {
        need(n >= -(1n << 63n) && n < 1n << 63n, type, value);
        b.writeBigInt64BE(n, 0);
      }
      return b;
    }
    case 'Float32':
    case 'Float64': {
      need(typeof value === 'number', type, value);
      const b = Buffer.allocUnsafe(type === 'Float32' ? 4 : 8);
      if (type === 'Float32') b.writeFloatBE(value as number, 0);
      else b.writeDoubleBE(value as number, 0);
      return b;
    }
    case 'Address': {
      if (typeof value === 'string') {
        if (isIPv4(value)) {
          const b = Buffer.alloc(6);
          b.writeUInt16BE(ADDRESS_FAMILY_IPV4, 0);
          value.split('.').forEach((p, i) => (b[2 + i] = Number(p)));
          return b;
        }
        need(isIPv6(value), type, value);
        const b = Buffer.alloc(18);
        b.writeUInt16BE(ADDRESS_FAMILY_IPV6, 0);
        ipv6Bytes(value).copy(b, 2);
        return b;
      }
      need(typeof value === 'object' && 'family' in value, type, value);
      const o = value as OtherAddress;
      const b = Buffer.alloc(2 + o.data.length);
      b.writeUInt16BE(o.family, 0);
      o.data.copy(b, 2);
      return b;
    }
    case 'Time': {
      need(value instanceof Date && !Number.isNaN(value.getTime()), type, value);
      const seconds = Math.floor((value as Date).getTime() / 1000) + NTP_UNIX_OFFSET;
      need(seconds >= 0x80000000 && seconds < 0x80000000 + TWO_32, type, value);
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(seconds % TWO_32, 0);
      return b;
    }
    case 'Grouped':
      throw new ValueError('a Grouped AVP is built from its member AVPs, not from a value');
  }
}
