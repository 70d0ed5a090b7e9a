// The fault matrix (issue #9): each scenario injects one fault into a running
// pipeline, lets it recover by itself, and reports what it cost. `npm run faults`
// runs every scenario (long form) and rewrites FAULTS.md; test/fault-matrix.test.ts
// runs the short form in CI and asserts the invariants.

/** What one trial of one fault cost. */
export interface TrialResult {
  /** Audio that was captured (or announced as an event) but is not in a good .opus at the end, ms. Must be 0. */
  audioLostMs: number;
  /** Files left behind that should not be: .partial.*, spool WAVs/jobs, temp files (relative paths). Must be empty. */
  leaked: string[];
  /** From the moment the fault was injected (or removed, for lasting faults) until the pipeline was healthy again, ms; null when it did not recover. */
  recoveryMs: number | null;
  /** Where the failure showed: a log line or status field that names it; null when it was invisible. */
  visible: string | null;
  /** Anything worth a line in the table (e.g. "3 of 4 kills landed mid-event"). */
  note?: string;
  /** Raw figures for debugging a failed trial (printed, not tabulated). */
  detail?: unknown;
  /** For a trial that failed: the warnings and errors the pipeline logged (the trial's folder is gone by then). */
  diagnosis?: string[];
}

export interface TrialContext {
  /** Seed for this trial (fixed per scenario and trial number: runs are repeatable). */
  seed: number;
  trial: number;
  /** A fresh temporary directory, removed after the trial. */
  dir: string;
  /** 'short' in CI (npm test), 'long' for `npm run faults`. */
  form: 'short' | 'long';
}

export interface Scenario {
  /** Stable id, e.g. 'kill-segment'. */
  id: string;
  /** One line for the results table, e.g. 'kill -9 rec-segment at a random moment'. */
  fault: string;
  /**
   * Audio a trial may lose by the nature of the fault, with the reason: kill -9
   * takes what the killed process had read but not yet written. The test allows
   * up to `ms` per trial; the table shows the real figure.
   */
  allowance?: { ms: number; why: string };
  /** Why the short (CI) form leaves this scenario to the long form, if it does. */
  longOnly?: string;
  /** Trials in the short (CI) and long form. */
  trials: { short: number; long: number };
  /** Why it cannot run here (e.g. no permission to mount a tmpfs), or null. Checked before the trials. */
  unavailable?: () => Promise<string | null>;
  run(ctx: TrialContext): Promise<TrialResult>;
}
