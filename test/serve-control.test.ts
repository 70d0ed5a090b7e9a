// POST /api/control through a real FIFO, read the way rec-segment reads it:
// {"command":…} is the API's field, {"action":…} its older name still taken, and
// what reaches the FIFO is always rec-segment's own {"command":…} line. And the
// dashboard's Split button, in headless Chromium, sends `command`.
import t from 'tap';
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { chromium } from 'playwright-core';
import { tempDir } from './helpers.js';
import { startServe } from './serve-helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A FIFO at `<dir>/control`, and its lines as a reader that stays open across writers. */
async function controlFifo(t: { teardown: (fn: () => void) => void }, dir: string): Promise<{ fifo: string; nextLine: () => Promise<string> }> {
  const fifo = join(dir, 'control');
  await execa('mkfifo', [fifo]);
  // Read-write and non-blocking, as src/segment/control.ts opens it: each request's
  // writer closing does not end the reader, so one reader sees every line.
  const reader = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
  t.teardown(() => reader.destroy());
  const lines = createInterface({ input: reader })[Symbol.asyncIterator]();
  return { fifo, nextLine: async () => (await lines.next()).value as string };
}

t.test('control: command, action as an alias, conflicts and unknown commands', async (t) => {
  const root = await tempDir(t, 'rec-control-');
  const { fifo, nextLine } = await controlFifo(t, root);
  const s = await startServe(t, ['--out', root, '--control', fifo]);
  const post = async (body: object) => {
    const r = await fetch(`${s.url}/api/control`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    return { status: r.status, body: (await r.json()) as { sent?: string; error?: string } };
  };

  const cmd = await post({ command: 'split' });
  t.same(cmd, { status: 202, body: { sent: 'split' } }, 'command: 202, sent');
  t.equal(await nextLine(), '{"command":"split"}', 'the FIFO got the command line');

  const old = await post({ action: 'start' });
  t.same(old, { status: 202, body: { sent: 'start' } }, 'action, the older name: still 202');
  t.equal(await nextLine(), '{"command":"start"}', 'and the FIFO got the same kind of line');

  t.same(await post({ command: 'stop', action: 'stop' }), { status: 202, body: { sent: 'stop' } }, 'both, agreeing: 202');
  t.equal(await nextLine(), '{"command":"stop"}', 'one line for it');

  const both = await post({ command: 'split', action: 'stop' });
  t.equal(both.status, 400, 'both, differing: 400');
  t.match(both.body.error, /command and action/, 'saying why');
  for (const body of [{ command: 'explode' }, { action: 'explode' }, { command: 7 }, {}]) {
    const r = await post(body);
    t.equal(r.status, 400, `${JSON.stringify(body)}: 400`);
    t.match(r.body.error, /start, stop, split/, 'naming the commands');
  }
  // None of the refused requests wrote a line: the next line is the next accepted command.
  t.equal((await post({ command: 'split' })).status, 202, 'a good command after them: 202');
  t.equal(await nextLine(), '{"command":"split"}', 'nothing in between from the refused requests');
});

t.test('control: the dashboard Split button sends command', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed` }, async (t) => {
  const root = await tempDir(t, 'rec-control-');
  const { fifo, nextLine } = await controlFifo(t, root);
  const s = await startServe(t, ['--out', root, '--control', fifo]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${s.url}/`);
  // The buttons show once /api/config says there is a FIFO.
  const split = page.locator('#controls button', { hasText: 'Split' });
  await split.waitFor({ state: 'visible' });
  const [req] = await Promise.all([page.waitForRequest((r) => r.url().endsWith('/api/control')), split.click()]);
  t.same(req.postDataJSON(), { command: 'split' }, 'the page posts {"command":"split"}');
  t.equal(await nextLine(), '{"command":"split"}', 'which reaches the FIFO');
  await page.locator('#toast', { hasText: 'Sent: split' }).waitFor({ state: 'visible' });
  t.pass('and the page says it was sent');
});
