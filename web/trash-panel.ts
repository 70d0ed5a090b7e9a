// The trash panel: the "Trash" button shows what was deleted (each with Restore),
// and "Empty trash" deletes it for good.
import { api } from './api.js';
import { bytes, timeOfStem } from './format.js';
import { $, el, toast } from './dom.js';

/** Move a recording back from the trash (also the list's "Undo delete"). */
export async function restoreFromTrash(r: { day: string; stem: string }): Promise<void> {
  await api(`/api/trash/${r.day}/${encodeURIComponent(r.stem)}/restore`, { method: 'POST' });
}

async function showTrash(): Promise<void> {
  const btn = $('show-trash');
  const panel = $('trash');
  const show = panel.hidden;
  panel.hidden = !show;
  btn.setAttribute('aria-pressed', String(show));
  if (!show) return;
  const ul = $('trash-list');
  ul.replaceChildren(el('li', 'muted', 'loading…'));
  try {
    const { items } = await api<{ items: Array<{ day: string; stem: string; files: string[]; bytes: number }> }>('/api/trash');
    ul.replaceChildren();
    if (!items.length) ul.append(el('li', 'muted', 'The trash is empty.'));
    for (const it of items) {
      const li = el('li');
      const b = el('button', undefined, 'Restore');
      b.type = 'button';
      b.addEventListener('click', async () => {
        try {
          await restoreFromTrash(it);
          li.remove();
        } catch (err) {
          toast(`Restore: ${(err as Error).message}`);
        }
      });
      li.append(el('span', undefined, `${it.day} ${timeOfStem(it.stem)}`), el('span', 'muted', bytes(it.bytes)), b);
      ul.append(li);
    }
  } catch (err) {
    ul.replaceChildren(el('li', 'muted', `Cannot list the trash: ${(err as Error).message}`));
  }
}

async function emptyTrash(): Promise<void> {
  if (!window.confirm('Delete everything in the trash for good?')) return;
  try {
    const { removed } = await api<{ removed: number }>('/api/trash', { method: 'DELETE' });
    toast(`Removed ${removed} files`);
    $('trash-list').replaceChildren(el('li', 'muted', 'The trash is empty.'));
  } catch (err) {
    toast(`Empty trash: ${(err as Error).message}`);
  }
}

export function wireTrashPanel(): void {
  $('show-trash').addEventListener('click', () => void showTrash());
  $('empty-trash').addEventListener('click', () => void emptyTrash());
}
