// Collects what an import dropped or warned about, listing the first `maxListed` entries and counting all.

import type { DroppedRow, ImportProblem } from './types.ts'
import { detach } from './values.ts'

export interface ProblemDetail {
  column?: number
  field?: string
  expected: string
  got?: string
}

export class ImportReport {
  readonly dropped: DroppedRow[] = []
  readonly problems: ImportProblem[] = []
  readonly dropCounts: Record<string, number> = {}
  readonly notices: string[] = []
  droppedTotal = 0
  problemsTotal = 0

  constructor(
    readonly file: string,
    readonly maxListed = 10_000,
  ) {}

  /**
   * Drop a row. With `detail` the row was malformed (it is also listed as a problem); without, a filter removed
   * it and `reason` says which. `countKey` groups reasons in dropCounts (default: the reason).
   */
  drop(line: number, reason: string, detail?: ProblemDetail, countKey?: string): void {
    this.droppedTotal++
    const key = countKey ?? (detail ? detailKey(detail) : reason)
    this.dropCounts[key] = (this.dropCounts[key] ?? 0) + 1
    if (this.dropped.length < this.maxListed) this.dropped.push({ line, reason: detach(reason) })
    if (detail) this.problem(line, detail, 'dropped')
  }

  /** Drop a malformed row; the reason is written from the detail. */
  dropInvalid(line: number, detail: ProblemDetail): void {
    this.drop(line, describeProblem(detail), detail)
  }

  warn(line: number, detail: ProblemDetail): void {
    this.problem(line, detail, 'kept-with-warning')
  }

  notice(message: string): void {
    if (!this.notices.includes(message)) this.notices.push(message)
  }

  private problem(line: number, detail: ProblemDetail, action: ImportProblem['action']): void {
    this.problemsTotal++
    if (this.problems.length >= this.maxListed) return
    const p: ImportProblem = { file: this.file, line, expected: detach(detail.expected), action }
    if (detail.column !== undefined) p.column = detail.column
    if (detail.field !== undefined) p.field = detach(detail.field)
    if (detail.got !== undefined) p.got = detach(detail.got)
    this.problems.push(p)
  }
}

/** "typicality must be a number in [0,1], got 'high'"; without a field: "expected 25 fields, got 3". */
export function describeProblem(d: ProblemDetail): string {
  return detailKey(d) + (d.got !== undefined ? `, got ${d.got}` : '')
}

function detailKey(d: ProblemDetail): string {
  return d.field !== undefined ? `${d.field} must be ${d.expected}` : `expected ${d.expected}`
}

/** A value as shown in a message: quoted and shortened. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'string') {
    if (v === '') return 'an empty value'
    return `'${v.length > 40 ? v.slice(0, 39) + '…' : v}'`
  }
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 40 ? s.slice(0, 39) + '…' : s
}
