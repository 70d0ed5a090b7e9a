// Every scenario of the fault matrix, in table order.
import type { Scenario } from './types.js';
import { scenarios as kill } from './kill.js';
import { scenarios as serve } from './serve-siege.js';
import { scenarios as ffmpeg } from './ffmpeg.js';
import { scenarios as disk } from './disk.js';
import { scenarios as input } from './input.js';
import { scenarios as corrupt } from './corrupt.js';
import { scenarios as clock } from './clock.js';

export const allScenarios: Scenario[] = [...kill, ...ffmpeg, ...disk, ...input, ...corrupt, ...clock, ...serve];
