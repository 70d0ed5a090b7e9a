// Fault matrix, short form (test/faults/disk.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/disk.js';

tapScenarios(t, scenarios);
