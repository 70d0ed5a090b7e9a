// Placeholder for a tool whose issue has not landed yet: says so, exits 69.
import { EX } from '../lib/exit-codes.js';

export function notBuilt(name: string, issue: number): never {
  process.stderr.write(`${name}: not built yet (issue #${issue}); see README.md for what works today\n`);
  process.exit(EX.UNAVAILABLE);
}
