// Fault matrix, short form (test/faults/corrupt.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/corrupt.js';

tapScenarios(t, scenarios);
