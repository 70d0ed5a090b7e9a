// Fault matrix, short form (test/faults/ffmpeg.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/ffmpeg.js';

tapScenarios(t, scenarios);
