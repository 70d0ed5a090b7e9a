// The `keep` marker (`<day>/<stem>.keep`, an empty file) that retention honours.
// Set and cleared from the dashboard, never through a symbolic link: a linked day
// folder or a `.keep` that is a link (even a dangling one, whose target a plain
// open would create) is refused with a ConflictError (409) and one log line.
import type { Logger } from 'pino';
import { keepMarker } from '../lib/recordings.js';
import { createExclusiveNoFollow, realDirBelow, removeFileNoFollow } from '../lib/safe-fs.js';
import { ConflictError, refusal } from './trash.js';

/** Mark a recording to be kept (`keep`), or clear the mark; both are idempotent. */
export async function setKeep(root: string, day: string, stem: string, keep: boolean, log: Logger): Promise<void> {
  try {
    if (!(await realDirBelow(root, [day]))) throw new ConflictError(`${day}: no such day folder`);
    const marker = keepMarker(root, { day, stem });
    if (keep) await createExclusiveNoFollow(marker);
    else await removeFileNoFollow(marker);
  } catch (err) {
    throw refusal(root, err, log);
  }
}
