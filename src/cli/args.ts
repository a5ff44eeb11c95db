// A small argument parser whose specs also render the help text, so a command's options are
// declared once. `--name value`, `--name=value`, boolean `--flag`; `--` ends the options.
import { UsageError } from './io.ts'

export interface OptionSpec {
  type: 'string' | 'boolean'
  description: string
  /** Placeholder in the help text, e.g. `<file>`. */
  value?: string
  /** Shown in the help text; applied by the command. */
  default?: string
}

export interface PositionalSpec {
  name: string
  description: string
  optional?: boolean
}

export interface ArgSpec {
  positionals: PositionalSpec[]
  options: Record<string, OptionSpec>
}

export interface ParsedArgs {
  positionals: string[]
  strings: Record<string, string>
  flags: Set<string>
  help: boolean
}

/** Options every command accepts (handled by the entry point). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', description: 'show this help' },
  debug: { type: 'boolean', description: 'print stack traces with errors' },
}

export function parseArgs(argv: readonly string[], spec: ArgSpec, command: string): ParsedArgs {
  const options = { ...GLOBAL_OPTIONS, ...spec.options }
  const out: ParsedArgs = { positionals: [], strings: {}, flags: new Set(), help: false }
  let onlyPositionals = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (onlyPositionals || !a.startsWith('-') || a === '-') {
      out.positionals.push(a)
      continue
    }
    if (a === '--') {
      onlyPositionals = true
      continue
    }
    if (a === '-h') {
      out.help = true
      continue
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option ${a} for "${command}"`)
    const eq = a.indexOf('=')
    const name = a.slice(2, eq < 0 ? undefined : eq)
    const opt = options[name]
    if (!opt) throw new UsageError(`unknown option --${name} for "${command}"${suggest(name, Object.keys(options))}`)
    if (opt.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`)
      if (name === 'help') out.help = true
      else out.flags.add(name)
      continue
    }
    let value: string | undefined
    if (eq >= 0) value = a.slice(eq + 1)
    else if (i + 1 < argv.length && !(argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) value = argv[++i]
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value${opt.value ? ` (${opt.value})` : ''}`)
    if (name in out.strings) throw new UsageError(`--${name} was given twice`)
    out.strings[name] = value
  }
  if (out.help) return out
  const required = spec.positionals.filter((p) => !p.optional).length
  if (out.positionals.length < required)
    throw new UsageError(`"${command}" needs ${spec.positionals.slice(out.positionals.length).filter((p) => !p.optional).map((p) => `<${p.name}>`).join(' ')}`)
  if (out.positionals.length > spec.positionals.length)
    throw new UsageError(`unexpected argument "${out.positionals[spec.positionals.length]}" for "${command}"`)
  return out
}

function suggest(name: string, known: string[]): string {
  const close = known.find((k) => k.startsWith(name) || name.startsWith(k) || distance(k, name) <= 2)
  return close ? ` (did you mean --${close}?)` : ''
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  return d[a.length][b.length]
}

/** The help text of one command, from its spec. */
export function renderHelp(opts: { usage: string; description: string; spec: ArgSpec; examples?: string[] }): string {
  const lines = [`Usage: ${opts.usage}`, '', opts.description, '']
  const rows = (items: [string, string][]) => {
    const w = Math.min(30, Math.max(...items.map(([l]) => l.length)) + 2)
    for (const [l, d] of items) lines.push(`  ${l.padEnd(w)}${d}`)
    lines.push('')
  }
  if (opts.spec.positionals.length) {
    lines.push('Arguments:')
    rows(opts.spec.positionals.map((p) => [`<${p.name}>`, p.description]))
  }
  lines.push('Options:')
  rows(
    Object.entries({ ...opts.spec.options, ...GLOBAL_OPTIONS }).map(([name, o]) => [
      `--${name}${o.value ? ' ' + o.value : ''}`,
      o.description + (o.default !== undefined ? ` (default: ${o.default})` : ''),
    ]),
  )
  if (opts.examples?.length) {
    lines.push('Examples:')
    for (const e of opts.examples) lines.push(`  ${e}`)
    lines.push('')
  }
  return lines.join('\n')
}

/** A positive integer option. */
export function intOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.strings[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${raw}"`)
  return n
}

/** A string option restricted to `choices`. */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = args.strings[name]
  if (raw === undefined) return fallback
  if (!(choices as readonly string[]).includes(raw))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`)
  return raw as T
}
