// What every benchmark section returns: rows for the table and docs, and free-form details.
import type { MachineInfo } from './stats.ts'

export interface ResultRow {
  /** What was measured. */
  name: string
  value: number
  /** Shown instead of the value, e.g. 'not run' or 'skipped' (value is then NaN and the note says why). */
  display?: string
  /** '×' for ratios, 'ms', 'MB/s', 's', … */
  unit: string
  /** Spread over repetitions, when there were several (min–max of the paired ratios). */
  spread?: [number, number]
  /** The same ratio from CPU time rather than wall time (robust to other jobs on the machine). */
  cpuRatio?: number
  /** e.g. '≤ 1.10×'; absent when the figure is recorded, not a target. */
  target?: string
  ok?: boolean
  note?: string
}

export interface SectionResult {
  section: string
  title: string
  /** What was run, in one line (model, shapes, repetitions). */
  setup: string
  quick: boolean
  date: string
  machine: MachineInfo
  versions: Record<string, string>
  durationS: number
  rows: ResultRow[]
  details?: unknown
}

export interface BenchContext {
  quick: boolean
  log: (line: string) => void
  /** A scratch folder that is removed after the run. */
  tmp: string
}
