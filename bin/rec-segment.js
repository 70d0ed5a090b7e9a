#!/usr/bin/env node
import "../dist/src/cli/rec-segment.js";
