/** Subscriber input (config entries, CLI flags, admin API bodies) to store records, and the public view. */
import { opcFromOp, makeSqn, seqOf } from '@ut-testbed/aka-crypto';
import type { SubscriberConfig } from '@ut-testbed/config';
import type { NewSubscriber, Subscriber } from './store/types';

/** A validated config-shaped subscriber as a store record; OP is turned into OPc here, once. */
export function fromConfig(s: SubscriberConfig): NewSubscriber {
  const k = Buffer.from(s.k, 'hex');
  const opc = s.opc !== undefined ? Buffer.from(s.opc, 'hex') : opcFromOp(k, Buffer.from(s.op!, 'hex'));
  const out: NewSubscriber = {
    impi: s.impi,
    impus: [...s.impus],
    k,
    opc,
    amf: Buffer.from(s.amf, 'hex'),
    scheme: s.scheme,
  };
  // `sqn` is the last SQN used: the next vector carries SEQ(sqn) + 1
  if (s.sqn !== undefined) out.seqHe = seqOf(parseInt(s.sqn, 16));
  return out;
}

export interface SubscriberView {
  impi: string;
  impus: string[];
  amf: string;
  scheme: string;
  /** SEQ_HE, the last SEQ handed out, and the SQN it makes with IND 0 (hex) */
  seqHe: number;
  sqn: string;
  k?: string;
  opc?: string;
}

/** What list/show and the admin API print: keys only when asked for. */
export function view(s: Subscriber, secrets = false): SubscriberView {
  const v: SubscriberView = {
    impi: s.impi,
    impus: s.impus,
    amf: s.amf.toString('hex'),
    scheme: s.scheme,
    seqHe: s.seqHe,
    sqn: makeSqn(s.seqHe, 0).toString(16).padStart(12, '0'),
  };
  if (secrets) {
    v.k = s.k.toString('hex');
    v.opc = s.opc.toString('hex');
  }
  return v;
}

/** The fields in which a config entry differs from the stored subscriber (names only, never values). */
export function differences(stored: Subscriber, wanted: NewSubscriber): string[] {
  const d: string[] = [];
  if (!stored.k.equals(wanted.k)) d.push('k');
  if (!stored.opc.equals(wanted.opc)) d.push('opc');
  if (!stored.amf.equals(wanted.amf)) d.push('amf');
  if (stored.scheme !== wanted.scheme) d.push('scheme');
  if (stored.impus.join('\n') !== wanted.impus.join('\n')) d.push('impus');
  if (wanted.seqHe !== undefined && wanted.seqHe !== stored.seqHe) d.push('sqn');
  return d;
}
