import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestSet {
  K: string;
  RAND: string;
  SQN: string;
  AMF: string;
  OP: string;
  OPc: string;
  f1: string;
  f1star: string;
  f2_RES: string;
  f3_CK: string;
  f4_IK: string;
  f5_AK: string;
  f5star_AKstar: string;
  AUTN_computed: string;
}

interface VectorFile {
  sets: Record<string, TestSet>;
  auts_example: { K: string; OPc: string; RAND: string; AUTS: string; SQN_MS: string };
}

/** TS 35.208 test sets 1-6 and the libosmocore AUTS example (a copy of shared/vectors). */
export const vectors: VectorFile = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'milenage-35208-sets1-6.json'), 'utf8'),
) as VectorFile;

export const sets = Object.entries(vectors.sets);

export const h = (s: string): Buffer => Buffer.from(s, 'hex');
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
