/**
 * Messages: encode, and a decoder for hostile input. The decoder never throws on wire bytes, visits every
 * byte at most once per nesting level (no loops on zero lengths), bounds the nesting depth and the message
 * size, and returns what it could read plus the first protocol error as RFC 6733 section 7 defines it.
 */
import {
  AVP_FLAG_MANDATORY,
  AVP_FLAG_VENDOR,
  AVP_HEADER_LENGTH,
  AVP_HEADER_LENGTH_VENDOR,
  avpsLength,
  writeAvps,
  type Avp,
} from './avp';
import {
  DIAMETER_VERSION,
  FLAG_ERROR,
  FLAG_REQUEST,
  FLAG_RETRANSMIT,
  HEADER_LENGTH,
  readHeader,
  writeHeader,
  type DiameterHeader,
} from './header';
import { protocolError, type ProtocolError } from './errors';
import { checkValue, fixedSize, minimumSize } from './types';
import { defaultDictionary, type Dictionary } from '../dictionary';

export interface DiameterMessage extends DiameterHeader {
  avps: Avp[];
}

export interface DecodeOptions {
  dictionary?: Dictionary;
  /** Deepest Grouped nesting decoded (default 8); deeper is answered with 5004. */
  maxDepth?: number;
  /** Largest message accepted (default 1 MiB); larger is 5015. */
  maxLength?: number;
}

export interface DecodeResult {
  /** What was read; undefined only when not even the 20-byte header is there. */
  message?: DiameterMessage;
  /** The first protocol error, undefined when the message is well formed. */
  error?: ProtocolError;
}

export const DEFAULT_MAX_DEPTH = 8;
export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024;

/** The message as bytes; the length fields are computed, `length` in the header is ignored. */
export function encodeMessage(m: Omit<DiameterMessage, 'length' | 'version'> & { version?: number }): Buffer {
  const length = HEADER_LENGTH + avpsLength(m.avps);
  if (length > 0xffffff) throw new RangeError(`message is ${length} bytes, more than 24 bits`);
  const out = Buffer.allocUnsafe(length);
  writeHeader({ ...m, version: m.version ?? DIAMETER_VERSION, length }, length, out);
  writeAvps(m.avps, out, HEADER_LENGTH);
  return out;
}

interface Ctx {
  dict: Dictionary;
  maxDepth: number;
  error: ProtocolError | undefined;
}

/*
 * The hot loop reads imported bindings through these module locals. A transpiler that emits CommonJS with
 * live bindings (esbuild, hence tsx and the benchmark) turns every `import`ed name into a getter on the
 * module object, which costs a call per use; a local is read directly whatever compiles the file.
 */
const FLAG_VENDOR = AVP_FLAG_VENDOR;
const FLAG_MANDATORY = AVP_FLAG_MANDATORY;
const HEADER = AVP_HEADER_LENGTH;
const HEADER_VENDOR = AVP_HEADER_LENGTH_VENDOR;
const checkData = checkValue;
const MESSAGE_HEADER = HEADER_LENGTH;
const VERSION = DIAMETER_VERSION;
const COMMAND_FLAG_REQUEST = FLAG_REQUEST;
const COMMAND_FLAG_ERROR = FLAG_ERROR;
const COMMAND_FLAG_RETRANSMIT = FLAG_RETRANSMIT;
/** Failed-AVP (RFC 6733 7.5), code 279, vendor 0 */
const FAILED_AVP = 279;
const readMessageHeader = readHeader;

/** Wraps the offending AVP in copies of its enclosing Grouped AVPs (RFC 6733 section 7.5). */
function inContext(path: readonly Avp[], failed: Avp): Avp {
  let avp = failed;
  for (let i = path.length - 1; i >= 0; i--) {
    const p = path[i]!;
    avp = { code: p.code, flags: p.flags, vendorId: p.vendorId, data: Buffer.alloc(0), avps: [avp] };
  }
  return avp;
}

function report(ctx: Ctx, e: ProtocolError): void {
  if (!ctx.error) ctx.error = e;
}

/** The 5014 Failed-AVP for a length that cannot be right: the header and a zero minimum payload. */
function lengthFailedAvp(ctx: Ctx, header: Buffer): Avp {
  const h = Buffer.alloc(AVP_HEADER_LENGTH_VENDOR);
  header.copy(h, 0, 0, Math.min(header.length, h.length));
  const code = h.readUInt32BE(0);
  const flags = h[4]!;
  const vendorId = flags & AVP_FLAG_VENDOR ? h.readUInt32BE(8) : 0;
  const def = ctx.dict.avp(code, vendorId);
  const avp: Avp = { code, flags, vendorId, data: Buffer.alloc(def ? minimumSize(def.type) : 0) };
  if (def?.type === 'Grouped') avp.avps = [];
  return avp;
}

/** A big-endian 32-bit word; the caller has checked that the four bytes are inside `buf`. */
function word(buf: Buffer, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * The members of a Grouped AVP inside Failed-AVP: the structure only, and only when it is sound. These are
 * copies of AVPs the peer received (RFC 6733 7.5), possibly the very AVP it could not parse, so nothing in
 * them is an error of this message: contents that cannot be framed stay raw (undefined here), and so do
 * groups nested deeper than `maxDepth`. Reads nothing outside buf[start, end).
 */
function parseCopied(buf: Buffer, start: number, end: number, depth: number, ctx: Ctx): Avp[] | undefined {
  const out: Avp[] = [];
  let at = start;
  while (at < end) {
    const remaining = end - at;
    if (remaining < HEADER) return undefined;
    const flags = buf[at + 4]!;
    const headerLength = flags & FLAG_VENDOR ? HEADER_VENDOR : HEADER;
    const length = (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!;
    if (remaining < headerLength || length < headerLength || length > remaining) return undefined;
    const code = word(buf, at);
    const vendorId = headerLength === HEADER_VENDOR ? word(buf, at + 8) : 0;
    const avp: Avp = { code, flags, vendorId, data: buf.subarray(at + headerLength, at + length) };
    if (depth + 1 <= ctx.maxDepth && ctx.dict.avp(code, vendorId)?.type === 'Grouped') {
      const inner = parseCopied(buf, at + headerLength, at + length, depth + 1, ctx);
      if (inner) avp.avps = inner;
    }
    out.push(avp);
    const next = at + ((length + 3) & ~3);
    at = next > end ? end : next;
  }
  return out;
}

/**
 * The AVPs in buf[start, end). Only the structure (lengths) is read once the first error is known; the
 * checks, in RFC order, run until then: unknown with M, the M rule, nesting depth, value. Reserved flag
 * bits are ignored (RFC 6733 4.1) and kept as received. The members of a Failed-AVP (`copied`) have their
 * lengths checked and nothing else: they are the AVPs the peer received, as received or as an example with
 * a zero-filled payload (RFC 6733 7.5, 7.1.5), so their flags, M rules and values are not this message's.
 */
function parseAvps(
  buf: Buffer,
  start: number,
  end: number,
  depth: number,
  path: Avp[],
  ctx: Ctx,
  copied = false,
): Avp[] {
  const out: Avp[] = [];
  const dict = ctx.dict;
  let at = start;
  while (at < end) {
    const remaining = end - at;
    const flags = remaining > 4 ? buf[at + 4]! : 0;
    const headerLength = flags & FLAG_VENDOR ? HEADER_VENDOR : HEADER;
    if (remaining < headerLength) {
      const failed = lengthFailedAvp(ctx, buf.subarray(at, end));
      report(
        ctx,
        protocolError(
          'DIAMETER_INVALID_AVP_LENGTH',
          `AVP header truncated: ${remaining} bytes left at offset ${at}, need ${headerLength}`,
          inContext(path, failed),
        ),
      );
      return out;
    }
    const code = word(buf, at);
    // the 24-bit AVP Length follows the flags byte
    const length = (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!;
    const vendorId = headerLength === HEADER_VENDOR ? word(buf, at + 8) : 0;
    if (length < headerLength || length > remaining) {
      const failed = lengthFailedAvp(ctx, buf.subarray(at, at + headerLength));
      const why =
        length < headerLength ? `below its ${headerLength}-byte header` : `past the end of its container`;
      report(
        ctx,
        protocolError(
          'DIAMETER_INVALID_AVP_LENGTH',
          `AVP ${code}${vendorId ? `/${vendorId}` : ''} at offset ${at}: length ${length} is ${why}`,
          inContext(path, failed),
        ),
      );
      return out;
    }
    const dataStart = at + headerLength;
    const dataEnd = at + length;
    const data = buf.subarray(dataStart, dataEnd);
    const avp: Avp = { code, flags, vendorId, data };
    out.push(avp);
    const next = at + ((length + 3) & ~3);
    at = next > end ? end : next; // a missing final padding is tolerated
    if (copied) {
      if (depth + 1 <= ctx.maxDepth && dict.avp(code, vendorId)?.type === 'Grouped') {
        const inner = parseCopied(buf, dataStart, dataEnd, depth + 1, ctx);
        if (inner) avp.avps = inner;
      }
      continue;
    }
    if (ctx.error !== undefined) continue; // keep reading the structure, report only the first error

    const def = dict.avp(code, vendorId);
    if (def === undefined) {
      if (flags & FLAG_MANDATORY && depth === 0) {
        report(
          ctx,
          protocolError(
            'DIAMETER_AVP_UNSUPPORTED',
            `unknown AVP ${code} (vendor ${vendorId}) with the M bit set`,
            inContext(path, avp),
          ),
        );
      }
      continue;
    }
    const m = (flags & FLAG_MANDATORY) !== 0;
    const rule = def.mandatory;
    if ((rule === 'must' && !m) || (rule === 'mustNot' && m)) {
      report(
        ctx,
        protocolError(
          'DIAMETER_INVALID_AVP_BITS',
          `${def.name} must ${rule === 'must' ? '' : 'not '}have the M bit set`,
          inContext(path, avp),
        ),
      );
      continue;
    }
    const type = def.type;
    if (type === 'Grouped') {
      if (depth + 1 > ctx.maxDepth) {
        report(
          ctx,
          protocolError(
            'DIAMETER_INVALID_AVP_VALUE',
            `${def.name} nests Grouped AVPs deeper than ${ctx.maxDepth}`,
            inContext(path, avp),
          ),
        );
        continue;
      }
      path.push(avp);
      avp.avps = parseAvps(
        buf,
        dataStart,
        dataEnd,
        depth + 1,
        path,
        ctx,
        code === FAILED_AVP && vendorId === 0,
      );
      path.pop();
      continue;
    }
    const bad = checkData(type, data);
    if (bad !== undefined) {
      // a fixed-size type with the wrong size is a length error (5014), anything else a value error (5004)
      const name =
        fixedSize(type) !== undefined ? 'DIAMETER_INVALID_AVP_LENGTH' : 'DIAMETER_INVALID_AVP_VALUE';
      report(ctx, protocolError(name, `${def.name}: ${bad}`, inContext(path, avp)));
    }
  }
  return out;
}

/** Decodes one message (exactly the bytes of one message, as the framer delivers them). */
export function decodeMessage(buf: Buffer, options: DecodeOptions = {}): DecodeResult {
  if (buf.length < MESSAGE_HEADER) {
    return {
      error: protocolError(
        'DIAMETER_INVALID_MESSAGE_LENGTH',
        `truncated header: ${buf.length} bytes, a Diameter header has ${MESSAGE_HEADER}`,
      ),
    };
  }
  const ctx: Ctx = {
    dict: options.dictionary ?? defaultDictionary,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    error: undefined,
  };
  const maxLength = options.maxLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  const header = readMessageHeader(buf);
  if (header.version !== VERSION) {
    report(
      ctx,
      protocolError('DIAMETER_UNSUPPORTED_VERSION', `version ${header.version}, only 1 is supported`),
    );
  }
  const l = header.length;
  if (l < MESSAGE_HEADER || l % 4 !== 0 || l !== buf.length || l > maxLength) {
    const why =
      l < MESSAGE_HEADER
        ? `below the ${MESSAGE_HEADER}-byte header`
        : l % 4 !== 0
          ? 'not a multiple of 4'
          : l > maxLength
            ? `above the ${maxLength}-byte limit`
            : l > buf.length
              ? `only ${buf.length} bytes arrived`
              : `${buf.length} bytes were given`;
    report(ctx, protocolError('DIAMETER_INVALID_MESSAGE_LENGTH', `message length ${l}: ${why}`));
  }
  // RFC 6733 3: the reserved bits are ignored (and kept as received); E never in a request, T never in an answer
  if (header.flags & COMMAND_FLAG_REQUEST) {
    if (header.flags & COMMAND_FLAG_ERROR) {
      report(ctx, protocolError('DIAMETER_INVALID_HDR_BITS', 'the E bit is set in a request'));
    }
  } else if (header.flags & COMMAND_FLAG_RETRANSMIT) {
    report(ctx, protocolError('DIAMETER_INVALID_HDR_BITS', 'the T bit is set in an answer'));
  }
  const end = Math.min(buf.length, Math.max(l, MESSAGE_HEADER), maxLength);
  const avps = parseAvps(buf, MESSAGE_HEADER, end, 0, [], ctx);
  // the header fields listed rather than spread: a spread copies through a generic, slower path
  const message: DiameterMessage = {
    version: header.version,
    length: header.length,
    flags: header.flags,
    commandCode: header.commandCode,
    applicationId: header.applicationId,
    hopByHop: header.hopByHop,
    endToEnd: header.endToEnd,
    avps,
  };
  const result: DecodeResult = { message };
  if (ctx.error) result.error = ctx.error;
  return result;
}
