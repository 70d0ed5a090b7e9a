#!/usr/bin/env node
import { notBuilt } from "../dist/src/cli/not-built.js";
notBuilt("rec-status", 8);
