/** Every scenario, in the order `testbed scenarios` lists them. */
import type { Scenario } from '../scenario/types';
import { failures } from './failures';
import { resync } from './resync';
import { section2 } from './section2';
import { section3 } from './section3';

export const SCENARIOS: readonly Scenario[] = [section3, section2, resync, ...failures];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
