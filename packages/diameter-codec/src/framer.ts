/**
 * A stream framer for Diameter over TCP: any number of messages per chunk, messages split across chunks. A
 * Message Length below 20 or above the limit cannot be framed: the stream is then dead (RFC 6733 section 3:
 * the peer closes the connection) and every later push reports the same error.
 */
import { HEADER_LENGTH } from './codec/header';
import { DEFAULT_MAX_MESSAGE_LENGTH } from './codec/message';

export interface FramingError {
  /** 5015 DIAMETER_INVALID_MESSAGE_LENGTH, for logs and metrics; the connection is closed, not answered. */
  resultCode: number;
  reason: string;
}

export interface FramerOptions {
  /** Largest Message Length accepted (default 1 MiB). */
  maxMessageLength?: number;
}

export interface PushResult {
  /** Complete messages, each exactly one Message Length long. */
  messages: Buffer[];
  /** Set once the stream cannot be framed any more. */
  error?: FramingError;
}

export class DiameterFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: FramingError | undefined;
  private readonly max: number;

  constructor(options: FramerOptions = {}) {
    this.max = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buffered;
  }

  get error(): FramingError | undefined {
    return this.failed;
  }

  push(chunk: Buffer): PushResult {
    const messages: Buffer[] = [];
    if (this.failed) return { messages, error: this.failed };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    while (this.buffered >= 4) {
      let head = this.chunks[0]!;
      if (head.length < 4) {
        head = Buffer.concat(this.chunks);
        this.chunks = [head];
      }
      const length = head.readUInt32BE(0) & 0xffffff;
      if (length < HEADER_LENGTH || length > this.max) {
        this.failed = {
          resultCode: 5015,
          reason:
            length < HEADER_LENGTH
              ? `Message Length ${length} is below the ${HEADER_LENGTH}-byte header: cannot frame the stream`
              : `Message Length ${length} is above the ${this.max}-byte limit: cannot frame the stream`,
        };
        this.chunks = [];
        this.buffered = 0;
        return { messages, error: this.failed };
      }
      if (this.buffered < length) break;
      if (head.length < length) {
        head = Buffer.concat(this.chunks, this.buffered);
        this.chunks = [head];
      }
      messages.push(head.subarray(0, length));
      const rest = head.subarray(length);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.buffered -= length;
    }
    return { messages };
  }
}
