// The man pages against the tools: every long option a built tool's --help
// lists is documented in its page, the pages have their sections, and they
// render without groff warnings (when man/groff are installed).
import t from 'tap';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import which from 'which';
import { ROOT, bin } from './helpers.js';

const BUILT_TOOLS = ['rec-capture', 'rec-segment', 'rec-opus-stream'] as const;
const PAGES = ['man/rec-tools.7', 'man/rec-capture.1', 'man/rec-segment.1', 'man/rec-opus-stream.1'] as const;

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
}

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
