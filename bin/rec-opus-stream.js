#!/usr/bin/env node
import '../dist/src/cli/rec-opus-stream.js';
