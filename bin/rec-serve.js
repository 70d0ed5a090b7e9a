#!/usr/bin/env node
import "../dist/src/cli/rec-serve.js";
