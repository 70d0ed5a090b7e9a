// The man pages against the tools: every long option a built tool's --help
// lists is documented in its page, the pages have their sections, and they
// render without groff warnings (when man/groff are installed).
import t from 'tap';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import which from 'which';
import { ROOT, bin } from './helpers.js';

const BUILT_TOOLS = ['rec-capture', 'rec-segment', 'rec-opus-stream', 'rec-sidecars', 'rec-status', 'rec-serve'] as const;
const PAGES = ['man/rec-tools.7', 'man/rec-capture.1', 'man/rec-segment.1', 'man/rec-opus-stream.1', 'man/rec-sidecars.1', 'man/rec-status.1', 'man/rec-serve.1'] as const;

/** `--retry-delay` → `\-\-retry\-delay`, as the option is written in roff. */
function roff(option: string): string {
  return option.replace(/-/g, '\\-');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `page` mentions `option` as a whole option (`\-\-rate`, not only `\-\-rate\-x`). */
function mentions(page: string, option: string): boolean {
  return new RegExp(`${escapeRegExp(roff(option))}(?![A-Za-z0-9]|\\\\-[A-Za-z0-9])`).test(page);
}

function hasSection(page: string, name: string): boolean {
  return new RegExp(`^\\.SH\\s+"?${escapeRegExp(name)}"?\\s*$`, 'm').test(page);
}

/**
 * The long options in the "Options:" section of yargs' help (not the ones that
 * examples use, which may belong to other tools): `  -D, --device  ...` lines.
 */
function listedOptions(help: string): string[] {
  const section = help.split(/\n[ \t]*\n/).find((block) => block.startsWith('Options:')) ?? '';
  return [...section.matchAll(/^ +(?:-[A-Za-z], )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
}

/**
 * The defaults yargs' help shows, by long option: `--rate ... [default: 48000]`
 * (the bracket may sit on a continuation line of the option's entry).
 */
function listedDefaults(help: string): Map<string, string> {
  const section = help.split(/\n[ \t]*\n/).find((block) => block.startsWith('Options:')) ?? '';
  const defaults = new Map<string, string>();
  let option: string | undefined;
  for (const line of section.split('\n')) {
    const m = /^ +(?:-[A-Za-z], )?(--[a-z][a-z0-9-]*)/.exec(line);
    if (m) option = m[1];
    const d = /\[default: ("?)(.*?)\1\]/.exec(line);
    if (d && option) defaults.set(option, d[2]!);
  }
  return defaults;
}

/**
 * The plain text of the paragraph that documents `option` in an OPTIONS section:
 * from the tag line after `.TP` that names it to the next `.TP`, `.SS` or `.SH`,
 * with macro names, font escapes and roff hyphens removed.
 */
function optionParagraph(page: string, option: string): string | undefined {
  const lines = page.split('\n');
  const start = lines.findIndex((l, i) => i > 0 && lines[i - 1] === '.TP' && mentions(l, option));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^\.(TP|SS|SH)\b/.test(l));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .map((l) => l.replace(/^\.[A-Z]{1,2}\b ?/, '').replace(/"/g, ''))
    .join(' ')
    .replace(/\\f[BIRP]/g, '')
    .replace(/\\-/g, '-');
}

async function readPage(path: string): Promise<string> {
  return readFile(join(ROOT, path), 'utf8');
}

t.test('the pages exist and are the ones package.json installs', async (t) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { man?: string[] };
  t.same([...(pkg.man ?? [])].sort(), [...PAGES].sort(), 'package.json "man" lists the pages');
  for (const page of PAGES) {
    await t.resolves(access(join(ROOT, page)), `${page} exists`);
  }
});

t.test('each page has NAME, SYNOPSIS (section 1), DESCRIPTION and EXAMPLES', async (t) => {
  for (const path of PAGES) {
    const page = await readPage(path);
    const name = path.replace(/^man\//, '').replace(/\.\d$/, '');
    const wanted = path.endsWith('.1') ? ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES'] : ['NAME', 'DESCRIPTION', 'EXAMPLES'];
    for (const section of wanted) t.ok(hasSection(page, section), `${path}: .SH ${section}`);
    // whatis/apropos (lexgrog) need "name \- summary" as the line after .SH NAME.
    t.match(page, new RegExp(`^\\.SH NAME\\n${escapeRegExp(roff(name))} \\\\- \\S`, 'm'), `${path}: NAME line is "${name} \\- ..."`);
    t.match(page, /^\.TH /m, `${path}: has a .TH title line`);
    t.notMatch(page, /^\.Dd|^\.Dt|^\.Sh /m, `${path}: man(7), not mdoc`);
    t.notMatch(page, /[ \t]+$/m, `${path}: no trailing whitespace`);
  }
});

t.test('the overview names every tool package.json installs', async (t) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const page = await readPage('man/rec-tools.7');
  const tools = Object.keys(pkg.bin);
  t.equal(tools.length, 6, 'six tools');
  for (const tool of tools) t.ok(page.includes(roff(tool)), `rec-tools.7 mentions ${tool}`);
});

for (const tool of BUILT_TOOLS) {
  t.test(`every long option in ${tool} --help is in man/${tool}.1`, async (t) => {
    const r = await execa('node', [bin(tool), '--help'], { reject: false });
    t.equal(r.exitCode, 0, '--help exits 0');
    const options = listedOptions(r.stdout);
    t.ok(options.includes('--help') && options.includes('--version'), `--help output lists options: ${options.join(' ')}`);
    t.ok(options.length >= 8, `found ${options.length} options`);
    const page = await readPage(`man/${tool}.1`);
    for (const option of options) t.ok(mentions(page, option), `${option} is documented as ${roff(option)}`);
  });

  t.test(`every default in ${tool} --help is the one man/${tool}.1 gives`, async (t) => {
    const r = await execa('node', [bin(tool), '--help'], { reject: false });
    const defaults = listedDefaults(r.stdout);
    t.ok(defaults.size >= 3, `found ${defaults.size} defaults`);
    const page = await readPage(`man/${tool}.1`);
    for (const [option, value] of defaults) {
      const text = optionParagraph(page, option);
      t.ok(text, `${option} has its own paragraph`);
      // A boolean that is on by default may be written "Default: on".
      const words = value === 'true' ? ['true', 'on'] : [value];
      const said = words.some((w) => new RegExp(`Default: ${escapeRegExp(w)}(?![\\w/.-]*\\w)`).test(text ?? ''));
      t.ok(said, `${option}: "Default: ${words.join('" or "')}" in ${JSON.stringify(text?.slice(0, 200))}`);
    }
  });
}

t.test('rec-segment.1 documents its outputs, control, signals and status', async (t) => {
  const page = await readPage('man/rec-segment.1');
  for (const section of ['OPTIONS', 'OUTPUT', 'STREAMING ENCODE', 'CONTROL', 'SIGNALS', 'ENVIRONMENT', 'EXIT STATUS', 'FILES', 'SEE ALSO']) {
    t.ok(hasSection(page, section), `.SH ${section}`);
  }
  // The contract a consumer relies on: every line type and field, the spool files, the status file.
  for (const word of [
    'event.started',
    'event.finished',
    'event.discarded',
    'startOffsetMs',
    'endOffsetMs',
    'durationMs',
    'offline\\-needed',
    'voiceRatio',
    'endReason',
    '.started.json',
    '.job.json',
    '.partial.opus',
    'segmenter_status.json',
    'streamingEncode',
    'pendingJobs',
    'SIGUSR1',
    'recovered',
    'REC_VAD_AGGRESSIVENESS',
  ]) {
    t.ok(page.includes(word), `mentions ${word}`);
  }
  const examples = page.slice(page.indexOf('.SH EXAMPLES'), page.indexOf('.SH', page.indexOf('.SH EXAMPLES') + 4));
  t.ok((examples.match(/^rec\\-capture|^rec\\-segment|^jq /gm) ?? []).length >= 5, 'at least five example commands');
});

const man = await which('man', { nothrow: true });
const groff = await which('groff', { nothrow: true });

t.test('man -l renders every page without warnings', { skip: man ? false : 'man is not installed' }, async (t) => {
  for (const page of PAGES) {
    const r = await execa(man!, ['-l', '--warnings=w', join(ROOT, page)], {
      reject: false,
      // C locale: a LANG that is not installed would make man warn about it.
      env: { MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LC_ALL: 'C' },
      extendEnv: true,
    });
    t.equal(r.exitCode, 0, `${page}: exit 0`);
    t.equal(r.stderr, '', `${page}: no warnings`);
    t.match(r.stdout, /^EXAMPLES$/m, `${page}: rendered`);
    const wide = r.stdout.split('\n').filter((line) => [...line].length > 80);
    t.same(wide, [], `${page}: every line fits 80 columns`);
  }
});

t.test('groff -man -ww finds nothing to warn about', { skip: groff ? false : 'groff is not installed' }, async (t) => {
  for (const page of PAGES) {
    const r = await execa(groff!, ['-man', '-ww', '-z', join(ROOT, page)], { reject: false, env: { LC_ALL: 'C' }, extendEnv: true });
    t.equal(r.exitCode, 0, `${page}: exit 0`);
    t.equal(r.stderr, '', `${page}: no warnings`);
  }
});
