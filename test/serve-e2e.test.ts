// The dashboard end to end in headless Chromium (Debian's, driven by
// playwright-core): a real growing partial (the streaming encoder at real-time
// pace) and a status file that points at it, as rec-segment would write them.
// Checks the red row, time to sound, playback past the size at play time, the
// live lag, the row turning final in place, and the waveform drawn.
import t from 'tap';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, synthPcm, tempDir } from './helpers.js';
import { GrowingEvent, addRecording, makeOpus, startServe, statusObject, writeStatus } from './serve-helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DAY = '2026-11-26';
const STEM = '12-00-00_vad_e2e0';
const ID = `${DAY}/${STEM}`;
const ARTEFACTS = join(ROOT, 'test-output');

/** Poll `f` in the page until it returns a truthy value; resolves with it and the time taken. */
async function until<T>(page: Page, f: (arg: number) => T | Promise<T>, timeoutMs: number, what: string, arg = 0): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await page.evaluate(f, arg);
    if (value) return { value, ms: performance.now() - t0 };
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

t.test('dashboard: live red row, playback, live edge, final row with waveform', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed` }, async (t) => {
  const root = await tempDir(t, 'rec-e2e-');
  const statusFile = join(root, '.spool', 'segmenter_status.json');
  const src = await makeOpus(root, 2);
  for (let i = 0; i < 3; i++) await addRecording(root, src, { day: DAY, stem: `1${i}-00-00_level_000${i}`.replace(/^1(\d)-/, '0$1-'), durationMs: 2000, text: `older recording ${i}` });
  // Enough older ones for a second page (50 a page).
  for (let i = 0; i < 60; i++) await addRecording(root, src, { day: '2026-11-20', stem: `${String(10 + Math.floor(i / 6)).padStart(2, '0')}-${String(i * 7 % 60).padStart(2, '0')}-00_level_1${String(i).padStart(3, '0')}` });
  await writeStatus(statusFile, statusObject());
  const s = await startServe(t, ['--out', root, '--status-file', statusFile]);

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${s.url}/`);
  await page.waitForSelector('li.rec');
  const state = await until(page, () => document.getElementById('state')!.textContent !== 'connecting…' && document.getElementById('state')!.textContent, 3000, 'the first status');
  t.equal(state.value, 'listening', 'header: listening, no event');
  // A steady background being ignored (a TV next door) is said in the header, and the note goes with it.
  const withTv = statusObject();
  await writeStatus(statusFile, { ...withTv, level: { ...withTv.level, backgroundDbfs: -47.5 } });
  const note = await until(page, () => !document.getElementById('background')!.hidden && document.getElementById('background')!.textContent, 5000, 'the background note');
  t.match(note.value, /ignoring a steady background \(TV or radio\?\) at -48 dB/, 'the header names the background and its level');
  await writeStatus(statusFile, statusObject());
  await until(page, () => document.getElementById('background')!.hidden, 5000, 'the background note gone');
  t.equal(await page.locator('li.rec').count(), 50, 'one page of 50 at first');
  await page.locator('#more').scrollIntoViewIfNeeded();
  await until(page, () => document.querySelectorAll('li.rec').length === 63 && document.getElementById('more')!.hidden, 5000, 'the next page on scrolling');
  t.equal(await page.locator('section[data-day] h2').count(), 2, 'grouped by day');
  await page.evaluate(() => window.scrollTo(0, 0));

  // The event starts: encoder plus a status file rewritten every 250 ms, like rec-segment's.
  const pcm = await synthPcm('sine=f=300:d=30,volume=0.5');
  const ev = new GrowingEvent(root, DAY, STEM, pcm).start();
  let statusLoop = true;
  const statusWriter = (async () => {
    while (statusLoop) {
      const size = (await stat(ev.partialPath).catch(() => ({ size: 0 }))).size;
      await writeStatus(statusFile, statusObject({ partialPath: `${DAY}/${STEM}.partial.opus`, durationMs: ev.fedMs, eventSizeBytes: size }));
      await sleep(250);
    }
  })();
  t.teardown(async () => {
    statusLoop = false;
    await statusWriter;
    await ev.stop();
  });
  const red = await until(page, () => !!document.querySelector('li.rec.live'), 3000, 'the red row');
  t.ok(red.ms < 1000, `red row appeared ${Math.round(red.ms)} ms after the event started`);
  t.equal(await page.locator('li.rec').first().getAttribute('data-id'), ID, 'at the top');
  t.match(await page.locator('#state').textContent(), /recording/, 'header says recording');
  const before = await page.locator(`li.rec[data-id="${ID}"] .r-dur`).textContent();
  await sleep(2300);
  t.not(await page.locator(`li.rec[data-id="${ID}"] .r-dur`).textContent(), before, 'its duration ticks up');
  t.equal(await page.locator(`li.rec[data-id="${ID}"] button`).filter({ hasText: 'Delete' }).count(), 0, 'no delete on the red row');

  // Play: sound within a second, then on past what the file held at that moment.
  // Timed in the page, from the click to the playhead moving (the test's own
  // round trips through the DevTools protocol are not what a listener waits for).
  await page.evaluate(() => {
    const a = document.querySelector('audio')!;
    const w = window as unknown as { soundAt?: number; clickAt?: number };
    document.addEventListener('click', (e) => (e.target as Element).closest('li.rec.live .r-play') && (w.clickAt ??= performance.now()), { capture: true });
    let c0: number | undefined;
    const poll = setInterval(() => {
      if (a.paused || a.readyState < 2) return;
      if (c0 === undefined) c0 = a.currentTime;
      else if (a.currentTime > c0) {
        w.soundAt = performance.now();
        clearInterval(poll);
      }
    }, 5);
  });
  const fedAtPlayS = ev.fedMs / 1000;
  await page.locator(`li.rec[data-id="${ID}"] .r-play`).click();
  const sound = await until(page, () => {
    const w = window as unknown as { soundAt?: number; clickAt?: number };
    return w.soundAt && w.clickAt ? w.soundAt - w.clickAt : 0;
  }, 5000, 'the playhead to move');
  const timeToSoundMs = sound.value;
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])));
  t.comment(`page marks (ms): ${JSON.stringify(marks)}`);
  t.ok(timeToSoundMs < 1000, `time to sound ${Math.round(timeToSoundMs)} ms`);
  await sleep(2000);
  const pos = await page.evaluate(() => document.querySelector('audio')!.currentTime);
  t.ok(pos > fedAtPlayS + 0.5, `played on to ${pos.toFixed(2)} s, past the ${fedAtPlayS.toFixed(2)} s there were at play`);

  // "From start", then back to live: the lag to what the encoder was fed stays small.
  await page.locator('#p-start').click();
  const fromStart = await page.evaluate(() => document.querySelector('audio')!.currentTime);
  t.ok(fromStart < 1, `from start: at ${fromStart.toFixed(2)} s`);
  await sleep(600);
  t.ok((await page.evaluate(() => document.querySelector('audio')!.currentTime)) > fromStart + 0.3, 'and playing from there');
  await page.locator('#p-live').click();
  const lags: number[] = [];
  for (let i = 0; i < 8; i++) {
    await sleep(250);
    const cur = await page.evaluate(() => document.querySelector('audio')!.currentTime);
    lags.push(ev.fedMs / 1000 - cur);
  }
  const maxLag = Math.max(...lags);
  t.ok(maxLag <= 1.5, `live lag behind the encoder input ≤ 1.5 s: ${lags.map((l) => l.toFixed(2)).join(' ')}`);

  await mkdir(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTEFACTS, 'dashboard-live.png') });

  // The event ends: rename, status without event, then the waveform sidecar (rec-sidecars).
  const rowHandle = await page.locator(`li.rec[data-id="${ID}"]`).elementHandle();
  statusLoop = false;
  await statusWriter;
  const result = await ev.stop();
  t.ok(result.ok, 'partial renamed');
  await writeStatus(statusFile, statusObject());
  const fin = await until(page, () => !document.querySelector('li.rec.live'), 5000, 'the row to turn final');
  t.ok(fin.ms < 3000, `row final ${Math.round(fin.ms)} ms after the rename`);
  t.ok(await rowHandle!.evaluate((li) => li.isConnected && li.parentElement!.firstElementChild === li), 'same element, same place');
  t.equal(await page.locator(`li.rec[data-id="${ID}"] button`).filter({ hasText: 'Delete' }).count(), 1, 'final actions shown');
  t.notOk(await page.evaluate(() => document.querySelector('audio')!.paused), 'the player was not interrupted');
  const peaks = Array.from({ length: 400 }, (_, i) => (i % 2 ? 1 : -1) * Math.round(90 * Math.abs(Math.sin(i / 15))));
  await writeFile(
    join(root, DAY, `${STEM}.waveform.json`),
    JSON.stringify({ version: 2, channels: 1, sample_rate: 48000, samples_per_pixel: 480, bits: 8, length: 200, data: peaks, durationMs: result.durationMs }),
  );
  await until(page, () => !!document.querySelector('li.rec canvas.r-wave[data-drawn]'), 5000, 'the waveform');
  const inked = await page.locator(`li.rec[data-id="${ID}"] canvas.r-wave`).evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n / (d.length / 4);
  });
  t.ok(inked > 0.05, `waveform drawn (${(inked * 100).toFixed(0)} % of the pixels)`);

  await page.screenshot({ path: join(ARTEFACTS, 'dashboard.png') });

  // Delete, one after another: every row stays, marked, with its Undo (the server's
  // "removed" notice often arrives before the DELETE's answer; it dropped 8 rows in 12).
  const older = await page.locator('section[data-day="2026-11-20"] li.rec').evaluateAll((lis) => lis.slice(0, 10).map((li) => (li as HTMLElement).dataset.id!));
  for (const id of older) {
    const row = page.locator(`li.rec[data-id="${id}"]`);
    await row.locator('button').filter({ hasText: 'Delete' }).click();
    await row.locator('button').filter({ hasText: 'Undo delete' }).waitFor({ timeout: 5000 });
  }
  t.equal(await page.locator('li.rec.deleted').count(), older.length, `all ${older.length} deleted rows are still there, each with Undo`);
  const last = page.locator(`li.rec[data-id="${older.at(-1)}"]`);
  await last.locator('button').filter({ hasText: 'Undo delete' }).click();
  await last.locator('button').filter({ hasText: 'Delete' }).waitFor({ timeout: 5000 });
  t.pass('Undo brings the last one back');

  // Keyboard: Enter on the row's play button plays the final file; Home/End on the waveform seek.
  await page.locator(`li.rec[data-id="${ID}"] .r-play`).focus();
  await page.keyboard.press('Enter');
  await until(page, () => {
    const a = document.querySelector('audio')!;
    return !a.paused && a.src.endsWith('12-00-00_vad_e2e0.opus') && a.currentTime > 0.1;
  }, 3000, 'the final file to play');
  await page.locator('#p-wave').focus();
  await page.keyboard.press('End');
  const atEnd = await page.evaluate(() => document.querySelector('audio')!.currentTime);
  t.ok(atEnd > result.durationMs / 1000 - 1, `End seeks to the end (${atEnd.toFixed(2)} s of ${(result.durationMs / 1000).toFixed(2)})`);
  await page.keyboard.press('Home');
  t.ok((await page.evaluate(() => document.querySelector('audio')!.currentTime)) < 0.5, 'Home seeks to the start');

  // A hidden tab holds no event stream open; it reconnects when shown.
  const eventClients = async () => ((await (await fetch(`${s.url}/api/health`)).json()) as { eventClients: number }).eventClients;
  t.equal(await eventClients(), 1, 'one event stream while visible');
  const setHidden = (hidden: boolean) =>
    page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  let n = 1;
  for (let i = 0; i < 40 && n !== 0; i++) {
    await sleep(50);
    n = await eventClients();
  }
  t.equal(n, 0, 'none while hidden');
  await setHidden(false);
  for (let i = 0; i < 40 && n !== 1; i++) {
    await sleep(50);
    n = await eventClients();
  }
  t.equal(n, 1, 'back when shown');
  await page.setViewportSize({ width: 390, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 0, `fits a phone's width (overflow ${overflow} px)`);
  await page.screenshot({ path: join(ARTEFACTS, 'dashboard-phone.png') });
  // The segmenter stops writing: the header says so, in red.
  await writeStatus(statusFile, statusObject({ updatedAt: new Date(Date.now() - 30_000) }));
  const down = await until(page, () => document.getElementById('state')!.classList.contains('down') && document.getElementById('state')!.textContent, 3000, 'the header to turn red');
  t.match(down.value, /STALE/, 'a stale status is shown as such');
  t.same(problems, [], 'no console errors');
  t.comment(`figures: red row ${Math.round(red.ms)} ms, time to sound ${Math.round(timeToSoundMs)} ms, max live lag ${maxLag.toFixed(2)} s`);
});
