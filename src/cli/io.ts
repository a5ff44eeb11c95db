// What a command may touch besides the file system: its output streams. Tests pass their own.

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  /** Progress lines go to stderr only when it is a terminal. */
  interactive?: boolean
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
}

/** Exit codes: 1 for a failure of the work (missing model, unsupported graph), 2 for bad usage. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** A failure the user can fix; printed as one line without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** Bad arguments: printed with a pointer to --help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE)
    this.name = 'UsageError'
  }
}

/** In-memory streams for tests. */
export function bufferIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    interactive: false,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
  }
  return io
}
