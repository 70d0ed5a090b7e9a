// Fault matrix, short form (test/faults/clock.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/clock.js';

tapScenarios(t, scenarios);
