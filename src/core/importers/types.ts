// Shared types of the streaming dataset importers.

import type { StimulusItem, StimulusSet, StimulusSetKind, TypicalitySource } from '../stimuli/types.ts'

export const FORMAT_IDS = [
  'social-chem',
  'ethics-cm',
  'ethics-deontology',
  'ethics-justice',
  'ethics-virtue',
  'ethics-util',
  'normbank',
  'mfv',
  'cola',
  'generic',
] as const
export type FormatId = (typeof FORMAT_IDS)[number]

export function isFormatId(s: string): s is FormatId {
  return (FORMAT_IDS as readonly string[]).includes(s)
}

/** One thing wrong with one row (or, with line = the first bad line, with the file's bytes). */
export interface ImportProblem {
  file: string
  /** 1-based source line where the row starts. */
  line: number
  /** 1-based column (field number) in a delimited file. */
  column?: number
  field?: string
  expected: string
  got?: string
  action: 'dropped' | 'kept-with-warning'
}

export interface DroppedRow {
  line: number
  reason: string
}

export type AgreementWeights = 'midpoint' | 'linear'

export interface SubsampleOptions {
  /** Most items kept per (primary foundation × polarity) cell. */
  maxPerCell: number
  /** Most neutral items kept (default: maxPerCell). */
  neutralCap?: number
  seed: number
}

export interface SocialChemOptions {
  /** Drop rows with rot-bad = 1 (default true). */
  dropBad: boolean
  /** Drop rows without a moral foundation (default true). */
  requireFoundations: boolean
  /** Drop rows where action-moral-judgment or action-agree is empty (default true). */
  requireJudgment: boolean
  /** Which column becomes the stimulus text (default 'action'). */
  text: 'action' | 'rot'
  /** Optional frame with a `{text}` slot, e.g. "Action: {text}." */
  frame?: string
  /** w(a) for action-agree a = 0..4: bucket midpoints (default) or a/4. */
  agreementWeights: AgreementWeights
  /** Keep only these values of the `split` column. */
  splits?: string[]
  /** Balanced reservoir subsample, computed in the same streaming pass. */
  subsample?: SubsampleOptions
}

export interface EthicsOptions {
  /** Wording of the utilitarianism claim (ETHICS says "pleasant"; the ICM fork says "useful"). */
  utilClaim: 'pleasant' | 'useful'
}

/** Where each stimulus field comes from: a column name (header), a 1-based column number (no header) or a JSON key. */
export interface ColumnMapping {
  text: string
  foundation?: string
  polarity?: string
  typicality?: string
  gold?: string
  group?: string
  key?: string
  split?: string
  moral?: string
  grammatical?: string
  economic?: string
  moralRating?: string
  grammaticalRating?: string
  economicRating?: string
  price?: string
  moralVector?: string
  rationale?: string
  /** Extra columns copied into meta under their own names. */
  meta?: string[]
}

export interface GenericOptions {
  /** Without one, suggestMapping(headers) is used. */
  mapping?: ColumnMapping
  /** Delimited files only (default true). */
  hasHeader: boolean
  typicalitySource: TypicalitySource
  /** What to do with a row whose mapped value cannot be parsed (default 'drop'). */
  onInvalid: 'drop' | 'warn'
  kind: StimulusSetKind
}

export interface ImportOptions {
  socialChem?: Partial<SocialChemOptions>
  ethics?: Partial<EthicsOptions>
  generic?: Partial<GenericOptions>
  /** Override the sniffed delimiter of a delimited file. */
  delimiter?: string
  /** At most this many dropped rows / problems are listed (all are counted). Default 10,000. */
  maxListed?: number
  /** Records per cooperative yield to the event loop (macrotask); off by default. */
  yieldEvery?: number
  /** Largest quoted record (in characters) before it is treated as an unterminated quote. Default 1 MiB. */
  maxRecordChars?: number
}

export interface ImportRequest {
  fileName: string
  format?: FormatId | 'auto'
  options?: ImportOptions
  signal?: AbortSignal
  onProgress?: (bytesRead: number) => void
}

export interface FormatDetection {
  format: FormatId
  confidence: number
  reason: string
  /** Every format with a non-zero score, best first. */
  candidates: { format: FormatId; confidence: number }[]
}

export interface SamplingReport {
  seed: number
  maxPerCell: number
  neutralCap: number
  cells: Record<string, { seen: number; kept: number }>
}

export interface ImportResult {
  set: StimulusSet
  format: FormatId
  kept: number
  /** Listed dropped rows (the first `maxListed`); see droppedTotal and dropCounts for all. */
  dropped: DroppedRow[]
  droppedTotal: number
  /** Dropped rows per kind of reason. */
  dropCounts: Record<string, number>
  problems: ImportProblem[]
  problemsTotal: number
  /** Label counts over the kept items, keyed "foundation:care", "polarity:vice", "gold:1", ... */
  labels: Record<string, number>
  /** File-level messages for the user (encoding fallback, delimiter, detection). */
  notices: string[]
  encoding: string
  delimiter?: string
  bytesRead: number
  /** Data rows read (header excluded). */
  rowsRead: number
  detection?: FormatDetection
  sampling?: SamplingReport
}

/** What `npm run lab -- stimuli` prints. */
export interface ImportSummary {
  format: FormatId
  kept: number
  labels: Record<string, number>
  dropped: DroppedRow[]
}

export type { StimulusItem, StimulusSet }
