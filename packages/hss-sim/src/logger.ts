/** Structured logs on stderr (DESIGN.md section 10). Keys and RES/CK/IK are never passed to a logger. */
import pino, { type Logger } from 'pino';

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'hss-sim', level }, pino.destination(2));
}

export type { Logger };
