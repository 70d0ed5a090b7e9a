// Command-line conventions shared by every tool: yargs with REC_* environment
// variables, strict flags, one-line usage errors (exit 64), and a main() wrapper
// that maps errors to exit statuses without stack traces.
import yargs, { type Argv, type Options } from 'yargs';
import { CliError, EX } from './exit-codes.js';
import { createLogger, type Logger } from './log.js';
import { MAX_TIMER_MS } from './timers.js';

export const ENV_PREFIX = 'REC_';

/** `status-file` → `REC_STATUS_FILE`. */
export function envName(option: string): string {
  return ENV_PREFIX + option.replace(/-/g, '_').toUpperCase();
}

export interface EnvArgsOptions {
  /** Boolean options: their variables take 1/0, true/false, yes/no, on/off. */
  booleans?: Iterable<string>;
  /** Groups of mutually exclusive options: one given as a flag silences the others' variables. */
  exclusive?: string[][];
  /** Flags the user typed (names without dashes), to apply `exclusive`. */
  given?: Set<string>;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/**
 * Turn the REC_* variables that name one of this tool's options into flags placed
 * before the user's own, so flags win over the environment and both are validated
 * the same way. Variables for other tools' options are ignored: one systemd
 * EnvironmentFile serves every tool, so yargs' own .env() (which feeds *every*
 * REC_* variable to strict mode) cannot be used.
 */
export function envArgs(optionNames: Iterable<string>, env: NodeJS.ProcessEnv = process.env, opts: EnvArgsOptions = {}): string[] {
  const booleans = new Set(opts.booleans ?? []);
  const given = opts.given ?? new Set<string>();
  const silenced = new Set<string>();
  for (const group of opts.exclusive ?? []) {
    if (group.some((o) => given.has(o))) for (const o of group) silenced.add(o);
  }
  const args: string[] = [];
  for (const name of optionNames) {
    const variable = envName(name);
    let value = env[variable];
    if (value === undefined || value === '' || silenced.has(name)) continue;
    if (booleans.has(name)) {
      const word = value.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) value = 'true';
      else if (FALSE_WORDS.has(word)) value = 'false';
      else throw new CliError(EX.USAGE, `${variable}: expected 1/0, true/false, yes/no or on/off, got "${value}"`);
    }
    args.push(`--${name}=${value}`);
  }
  return args;
}

/** Names of the options typed on the command line (aliases resolved). */
function givenFlags(argv: string[], options: Record<string, Options>): Set<string> {
  const byAlias = new Map<string, string>();
  for (const [key, opt] of Object.entries(options)) {
    byAlias.set(key, key);
    for (const a of [opt.alias ?? []].flat()) byAlias.set(a, key);
  }
  const given = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    const m = /^--?(?:no-)?([^=]+)/.exec(arg);
    const key = m && byAlias.get(m[1]!);
    if (key) given.add(key);
  }
  return given;
}

export interface NumberSpec {
  default?: number;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly number[];
  /** The flag is a delay fed to a timer, in this unit: its most is what Node's timers can hold (unless `max` is lower). */
  unit?: 'seconds' | 'minutes';
}

const UNIT_MS = { seconds: 1000, minutes: 60_000 } as const;

const numberSpecs = new WeakMap<Options, NumberSpec>();

/** A number option, checked (finite, range, integer, choices) before any work starts. */
export function numberOption(describe: string, spec: NumberSpec = {}): Options {
  const opt: Options = {
    describe: spec.choices ? `${describe} (${spec.choices.join(', ')})` : describe,
    type: 'number',
    requiresArg: true,
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
  numberSpecs.set(opt, spec);
  return opt;
}

/** The range a number flag accepts, in words for its error message. */
function rangeText(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}${unit}`;
  if (min !== undefined) return `at least ${min}${unit}`;
  return `at most ${max}${unit}`;
}

function numberCoercer(flag: string, spec: NumberSpec): (raw: unknown) => number | undefined {
  const unitMax = spec.unit ? Math.floor(MAX_TIMER_MS / UNIT_MS[spec.unit]) : undefined;
  const max = spec.max === undefined ? unitMax : unitMax === undefined ? spec.max : Math.min(spec.max, unitMax);
  const unit = spec.unit ? ` ${spec.unit}` : '';
  return (raw) => {
    if (raw === undefined) return undefined;
    const n = Array.isArray(raw) ? Number(raw.at(-1)) : Number(raw);
    const bad = (why: string) => new Error(`--${flag}: ${why}`);
    if (!Number.isFinite(n)) throw bad('not a number');
    if (spec.integer && !Number.isInteger(n)) throw bad(`not an integer: ${n}`);
    if (spec.choices && !spec.choices.includes(n)) throw bad(`must be one of ${spec.choices.join(', ')}, got ${n}`);
    if ((spec.min !== undefined && n < spec.min) || (max !== undefined && n > max)) throw bad(`must be ${rangeText(spec.min, max, unit)}, got ${n}`);
    return n;
  };
}

/**
 * yargs reads an empty value of a number flag (`--pre-roll ''`, `--hang=`, a
 * variable set to spaces) as 0 before any check sees it: refuse it here, from the
 * arguments as typed.
 */
function emptyNumberError(args: string[], options: Record<string, Options>): string | null {
  const names = new Map<string, string>();
  for (const [key, opt] of Object.entries(options)) {
    if (!numberSpecs.has(opt)) continue;
    for (const n of [key, ...[opt.alias ?? []].flat()]) names.set(n, key);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    const m = /^--?([^=]+)(=(.*))?$/s.exec(arg);
    const key = m && names.get(m[1]!);
    if (!key) continue;
    const value = m[2] !== undefined ? m[3]! : args[i + 1];
    if (value !== undefined && value.trim() === '') return `--${key}: empty; a number is needed`;
  }
  return null;
}

/** Attach the number checks, which need the flag's name for their messages. */
function withNumberChecks(options: Record<string, Options>): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [key, opt] of Object.entries(options)) {
    const spec = numberSpecs.get(opt);
    out[key] = spec ? { ...opt, coerce: numberCoercer(key, spec) } : opt;
  }
  return out;
}

export const commonOptions = {
  'log-level': {
    describe: 'Log level on stderr (also LOG_LEVEL)',
    type: 'string',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  },
  pretty: { describe: 'Human-readable logs (default when stderr is a terminal)', type: 'boolean' },
} as const satisfies Record<string, Options>;

export interface ToolCli {
  name: string;
  /** First help line, e.g. '$0 [options]' or '$0 <OUT>' (positionals declared in `positionals`). */
  usage: string;
  /** What the tool does, shown under the usage line. */
  description: string;
  positionals?: Record<string, { describe: string; type: 'string' }>;
  examples: Array<[string, string]>;
  epilog?: string;
  options: Record<string, Options>;
  /** Options never read from the environment (per-invocation ones, like an input file). */
  noEnv?: string[];
  /** Mutually exclusive options: giving one as a flag ignores the others' REC_* variables. */
  exclusive?: string[][];
  /** Extra yargs set-up (positionals, checks). */
  configure?: (y: Argv) => Argv;
}

/**
 * Parse argv for a tool. Usage errors print one line on stderr and throw a
 * CliError(64); --help and --version print and exit 0.
 */
export function parseArgs(cli: ToolCli, argv: string[] = process.argv.slice(2)): Record<string, unknown> {
  const options = withNumberChecks({ ...cli.options, ...commonOptions });
  const fromEnv = Object.keys(options).filter((k) => !cli.noEnv?.includes(k));
  const booleans = Object.entries(options).filter(([, o]) => o.type === 'boolean').map(([k]) => k);
  const env = envArgs(fromEnv, process.env, { booleans, exclusive: cli.exclusive ?? [], given: givenFlags(argv, options) });
  const all = [...env, ...argv];
  const empty = emptyNumberError(all, cli.options);
  if (empty) throw new CliError(EX.USAGE, `${empty} (see --help)`);
  const helpAsked = argv.some((a) => a === '--help' || a === '-h' || a === '--version');
  let y: Argv = yargs(all)
    .scriptName(cli.name)
    .options(options)
    .parserConfiguration({ 'duplicate-arguments-array': false, 'strip-aliased': true, 'strip-dashed': false })
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      const text = (msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' ').trim();
      throw new CliError(EX.USAGE, `${text} (see --help)`);
    }) as unknown as Argv;
  // yargs reads positionals from a "default command"; without any, a plain usage text.
  y = cli.positionals
    ? y.usage(cli.usage, cli.description, (p) => {
        for (const [key, opt] of Object.entries(cli.positionals ?? {})) p = p.positional(key, opt);
        return p;
      })
    : y.usage(`${cli.usage}\n\n${cli.description}`);
  for (const [cmd, desc] of cli.examples) y = y.example(cmd, desc);
  y = y.epilog(
    (cli.epilog ? cli.epilog + '\n\n' : '') +
      `Every flag can also be set in the environment as ${ENV_PREFIX}<FLAG> (e.g. ${envName('log-level')}); flags win.` +
      (cli.noEnv?.length ? ` Not from the environment: ${cli.noEnv.map((o) => `--${o}`).join(', ')}.` : ''),
  );
  // Checks of combinations must not stop --help or --version.
  if (cli.configure && !helpAsked) y = cli.configure(y);
  const parsed = y.parseSync() as Record<string, unknown>;
  // --help / --version already printed; yargs with exitProcess(false) just returns.
  if (parsed.help || parsed.version) process.exit(EX.OK);
  return parsed;
}

/**
 * Run a tool's main function: exit with what it returns; map a CliError to its
 * one-line message and status; anything else is an internal error (70), one line
 * (the stack only with LOG_LEVEL=debug).
 */
export function runTool(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? EX.OK),
    (err: unknown) => {
      if (err instanceof CliError) {
        process.stderr.write(`${name}: ${err.message}\n`);
        process.exit(err.exitCode);
      }
      const e = err as Error;
      process.stderr.write(`${name}: internal error: ${e?.message ?? String(err)}\n`);
      const debug = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '') || process.argv.some((a) => /^--log-level[= ]?(debug|trace)$/.test(a));
      if (debug) process.stderr.write(`${e?.stack}\n`);
      process.exit(EX.SOFTWARE);
    },
  );
}

const LEVELS = commonOptions['log-level'].choices as readonly string[];

/** Create the logger from parsed common flags (LOG_LEVEL is checked like a flag). */
export function toolLogger(name: string, args: Record<string, unknown>): Logger {
  const level = (args['log-level'] as string | undefined) ?? process.env.LOG_LEVEL;
  if (level !== undefined && level !== '' && !LEVELS.includes(level)) {
    throw new CliError(EX.USAGE, `LOG_LEVEL: must be one of ${LEVELS.join(', ')}, got "${level}"`);
  }
  return createLogger(name, {
    level: level || undefined,
    pretty: (args.pretty as boolean | undefined) ?? undefined,
  });
}
