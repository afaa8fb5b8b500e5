/** Every scenario, in the order `testbed scenarios` lists them. */
import type { Scenario } from '../scenario/types';
import { failures } from './failures';
import { resync } from './resync';
import { section3 } from './section3';

export const SCENARIOS: readonly Scenario[] = [section3, resync, ...failures];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
