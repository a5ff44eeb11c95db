// `npm run lab -- <command>`: the lab's core from the command line, for batch work, tests and
// benchmarks. `main(argv, io)` runs in-process (tests call it); the guard at the end runs it as a tool.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs, renderHelp } from './args.ts'
import { PROGRAM, type Command } from './command.ts'
import { CliError, EXIT_USAGE, processIo, UsageError, type CliIo } from './io.ts'
import { appVersion } from './version.ts'
import { inspectCommand } from './commands/inspect.ts'
import { captureCommand } from './commands/capture.ts'
import { stimuliCommand } from './commands/stimuli.ts'
import { typicalityCommand } from './commands/typicality.ts'

/** Every command, in help order. Later issues add `stimuli` and `typicality` here. */
export const COMMANDS: Command[] = [inspectCommand, captureCommand, stimuliCommand, typicalityCommand]

export function toolHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return [
    `Usage: ${PROGRAM} <command> [arguments] [options]`,
    '',
    'Moral Lens from the command line: the same core as the browser lab (onnxruntime-web, WASM).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Options:',
    '  --help     show help (also after a command: `inspect --help`)',
    '  --version  print the version',
    '  --debug    print stack traces with errors',
    '',
    'Exit codes: 0 ok, 1 the work failed (missing or unsupported model, unreadable input), 2 bad usage.',
    '',
  ].join('\n')
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim()
}

/** Runs the CLI; returns the exit code. Errors are one line on stderr (stack with --debug). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const debug = argv.includes('--debug')
  const first = argv.find((a) => a !== '--debug')
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[argv.indexOf('help') + 1] : undefined
    const cmd = COMMANDS.find((c) => c.name === topic)
    io.stdout(cmd ? renderHelp(cmd) : toolHelp())
    return first === undefined ? EXIT_USAGE : 0
  }
  if (first === '--version') {
    const app = appVersion()
    io.stdout(`${app.name} ${app.version}\n`)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === first)
  try {
    if (!command) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`)
    const rest = [...argv.slice(argv.indexOf(first) + 1)]
    const args = parseArgs(rest, command.spec, command.name)
    if (args.help) {
      io.stdout(renderHelp(command))
      return 0
    }
    return (await command.run(args, { io, argv })) ?? 0
  } catch (e) {
    const err = e as Error
    const prefix = `lab${command ? ' ' + command.name : ''}: `
    if (debug) io.stderr(prefix + (err.stack ?? err.message) + '\n')
    else {
      const hint = e instanceof UsageError ? ` (see ${PROGRAM}${command ? ' ' + command.name : ''} --help)` : ''
      io.stderr(prefix + oneLine(err.message ?? String(e)) + hint + '\n')
    }
    return e instanceof CliError ? e.exitCode : 1
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2))
}
