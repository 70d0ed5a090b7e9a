// Fault matrix, short form (test/faults/input.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/input.js';

tapScenarios(t, scenarios);
