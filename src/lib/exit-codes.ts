// Exit statuses shared by every tool (BSD sysexits, see DESIGN.md "Exit status").
export const EX = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
} as const;

export type ExitCode = (typeof EX)[keyof typeof EX];

/** An error that ends a tool with a one-line message and a chosen exit status. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Map a filesystem error on an output path to the matching exit status. */
export function outputErrorCode(err: NodeJS.ErrnoException): ExitCode {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EROFS':
    case 'EEXIST':
    case 'EISDIR':
      return EX.CANTCREAT;
    default:
      return EX.IOERR;
  }
}
