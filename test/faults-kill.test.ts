// Fault matrix, short form (test/faults/kill.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/kill.js';

tapScenarios(t, scenarios);
