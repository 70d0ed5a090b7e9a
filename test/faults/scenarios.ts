// Every scenario of the fault matrix, in table order.
import type { Scenario } from './types.js';
import { scenarios as kill } from './kill.js';
import { scenarios as serve } from './serve-siege.js';
import { scenarios as ffmpeg } from './ffmpeg.js';
import { scenarios as disk } from './disk.js';

export const allScenarios: Scenario[] = [...kill, ...ffmpeg, ...disk, ...serve];
