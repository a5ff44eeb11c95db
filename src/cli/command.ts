// The shape of a CLI command: its spec renders the help and drives parsing; `run` does the work.
// New commands (stimuli, typicality, …) are one file under commands/ plus a line in lab.ts.
import type { ArgSpec, ParsedArgs } from './args.ts'
import type { CliIo } from './io.ts'

export interface CommandContext {
  io: CliIo
  /** The full argument list, for provenance. */
  argv: readonly string[]
}

export interface Command {
  name: string
  /** One line for the tool's command list. */
  summary: string
  /** Synopsis after `npm run lab --`. */
  usage: string
  description: string
  spec: ArgSpec
  examples?: string[]
  /** Returns the exit code (0 when omitted); failures throw CliError. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number | void>
}

export const PROGRAM = 'npm run lab --'
