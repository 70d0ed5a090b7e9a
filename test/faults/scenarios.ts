// Every scenario of the fault matrix, in table order.
import type { Scenario } from './types.js';
import { scenarios as kill } from './kill.js';

export const allScenarios: Scenario[] = [...kill];
