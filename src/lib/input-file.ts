// The check every tool makes of an input file named on its command line, so a
// missing or unreadable one is a one-line error with status 66 before any work.
import { access, constants, stat } from 'node:fs/promises';
import { CliError, EX } from './exit-codes.js';

export async function checkInputFile(path: string): Promise<void> {
  await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(EX.NOINPUT, err.code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${err.code})`);
  });
  if ((await stat(path)).isDirectory()) throw new CliError(EX.NOINPUT, `${path}: is a directory`);
}
