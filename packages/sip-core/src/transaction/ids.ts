/** Fresh identifiers: branches with the magic cookie (RFC 3261 8.1.1.7), tags (19.3), Call-IDs (8.1.1.4). */
import { randomBytes } from 'node:crypto';
import { MAGIC_COOKIE } from './match';

export function newBranch(): string {
  return MAGIC_COOKIE + randomBytes(10).toString('hex');
}

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newCallId(): string {
  return randomBytes(12).toString('hex');
}
