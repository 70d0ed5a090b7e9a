// Locating the external programs a tool needs (ffmpeg, arecord): an explicit
// path from a flag or REC_* variable, else the PATH. Missing → exit 69.
import { access, constants } from 'node:fs/promises';
import which from 'which';
import { CliError, EX } from './exit-codes.js';
import type { Logger } from 'pino';

const INSTALL_HINTS: Record<string, string> = {
  ffmpeg: ' (apt-get install ffmpeg, or --ffmpeg PATH)',
  arecord: ' (apt-get install alsa-utils, or --arecord PATH)',
  pocketsphinx_continuous: ' (apt-get install pocketsphinx pocketsphinx-en-us, or use --transcribe-cmd)',
};

/**
 * Resolve `name` (or `override`, a path or a bare command name) to an executable path.
 * Throws CliError(69) with a one-line message when it is not there.
 */
export async function findProgram(name: string, override?: string, flag?: string): Promise<string> {
  const wanted = override && override.trim() !== '' ? override : name;
  if (wanted.includes('/')) {
    try {
      await access(wanted, constants.X_OK);
      return wanted;
    } catch {
      throw new CliError(EX.UNAVAILABLE, `${wanted}: not found or not executable${flag ? ` (from ${flag})` : ''}`);
    }
  }
  const found = await which(wanted, { nothrow: true });
  if (!found) {
    const hint = INSTALL_HINTS[name] ?? '';
    throw new CliError(EX.UNAVAILABLE, `${wanted}: not found on PATH${hint}`);
  }
  return found;
}

/**
 * For a service that must not stop over a missing program (rec-segment keeps
 * recording, rec-sidecars --follow keeps its jobs waiting): the program if it is
 * there, else the name it was asked for, with one error logged saying what
 * happens meanwhile. Each later use fails on its own and retries, so a program
 * installed later is picked up without a restart.
 */
export async function findProgramOrWait(name: string, override: string | undefined, flag: string, log: Logger, meanwhile: string): Promise<string> {
  return findProgram(name, override, flag).catch((err: CliError) => {
    log.error({ err: err.message }, `${name} is missing: ${meanwhile}`);
    return override && override.trim() !== '' ? override : name;
  });
}
