/**
 * Identifiers a Diameter node keeps (RFC 6733): Hop-by-Hop ids (section 3, unique per connection, started
 * at a random value), End-to-End ids (section 3: high 12 bits from the clock, low 20 random, then
 * incremented), and Origin-State-Id (section 8.16: a value that changes only when the node restarts).
 */
import { randomInt } from 'node:crypto';

/** One value for the whole process lifetime: peers use it to tell a restart from a reconnection. */
export const PROCESS_ORIGIN_STATE_ID = Math.floor(Date.now() / 1000) >>> 0;

export class HopByHopIds {
  private next = randomInt(0, 2 ** 32 - 1);

  take(): number {
    const v = this.next;
    this.next = (this.next + 1) >>> 0;
    return v;
  }
}

export class EndToEndIds {
  private next: number;

  constructor(nowSeconds = Math.floor(Date.now() / 1000)) {
    this.next = (((nowSeconds & 0xfff) << 20) | randomInt(0, 2 ** 20)) >>> 0;
  }

  take(): number {
    const v = this.next;
    this.next = (this.next + 1) >>> 0;
    return v;
  }
}
