// The header's "Record now / Stop / Split" buttons: each POSTs its command to
// /api/control, which rec-serve writes to rec-segment's control FIFO. Shown only
// when the server has a FIFO (--control).
import { api } from './api.js';
import { $, toast } from './dom.js';

async function control(command: string): Promise<void> {
  try {
    await api('/api/control', { method: 'POST', body: JSON.stringify({ command }) });
    toast(`Sent: ${command}`);
  } catch (err) {
    toast(`${command}: ${(err as Error).message}`);
  }
}

export function wireControls(): void {
  for (const b of $('controls').querySelectorAll<HTMLButtonElement>('button[data-command]')) b.addEventListener('click', () => void control(b.dataset.command!));
  void api<{ control: boolean }>('/api/config').then(
    (c) => ($('controls').hidden = !c.control),
    () => undefined,
  );
}
