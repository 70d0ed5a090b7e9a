#!/usr/bin/env node
import "../dist/src/cli/rec-status.js";
