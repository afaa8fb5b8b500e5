import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** A file path (created or truncated) or a writable stream, e.g. a `fs.WriteStream`. */
export type OutputTarget = string | Writable;

/**
 * A write stream with its first error kept: writes are buffered by the stream (trace volumes are
 * small, so backpressure is not applied), and `end` resolves once the stream has finished and, for a
 * file, has been closed.
 */
export class StreamOutput {
  private readonly stream: Writable;
  private failure: Error | undefined;
  private ending: Promise<void> | undefined;
  private readonly opened: Promise<void>;

  constructor(target: OutputTarget) {
    this.stream = typeof target === 'string' ? createWriteStream(target, { flags: 'w' }) : target;
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
    const pending = (this.stream as Writable & { pending?: boolean }).pending === true;
    this.opened = pending
      ? new Promise<void>((resolve, reject) => {
          this.stream.once('ready', () => resolve());
          this.stream.once('error', reject);
        })
      : Promise.resolve();
    // Callers that never await readiness must not see an unhandled rejection: errors surface in end().
    this.opened.catch(() => undefined);
  }

  /** True once `end` was called. */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** Resolves when the file is open (at once for a stream that is already open). */
  ready(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.opened;
  }

  /** Queues bytes. Throws the stream's error if it has failed. */
  write(chunk: Uint8Array | string): void {
    if (this.failure) throw this.failure;
    if (this.ending) throw new Error('output is closed');
    this.stream.write(chunk);
  }

  /** Ends the stream; resolves when everything is written, rejects with the stream's first error. */
  end(): Promise<void> {
    this.ending ??= (async () => {
      if (this.failure) throw this.failure;
      this.stream.end();
      try {
        await finished(this.stream, { readable: false });
      } catch (error) {
        throw this.failure ?? error;
      }
      if (this.failure) throw this.failure;
    })();
    return this.ending;
  }
}
