// Social-Chemistry-101 (Forbes et al. 2020) TSV → moral typicality stimuli, following METHODS.md §1.4 A:
// polarity from action-moral-judgment j, typicality t = (|j|/2)·w(action-agree), and a 10-dimensional moral vector
// with t split equally over the listed foundations on the virtue (j > 0) or vice (j < 0) side.

import { Rng } from '../../random.ts'
import {
  CORE_FOUNDATIONS,
  MORAL_VECTOR_DIM,
  moralAxisIndex,
  type CoreFoundation,
  type Foundation,
  type Polarity,
  type StimulusItem,
} from '../../stimuli/types.ts'
import {
  Columns,
  describeSample,
  headerNames,
  type FormatDefinition,
  type FormatMapper,
  type MapperContext,
  type MapperOutput,
  type Sample,
} from '../format.ts'
import type { AgreementWeights, SamplingReport, SocialChemOptions } from '../types.ts'
import { detach, isEmptyCell, parseFoundationList, parseIntIn } from '../values.ts'
import { shown } from '../report.ts'

export const SOCIAL_CHEM_COLUMNS = [
  'area',
  'm',
  'split',
  'rot-agree',
  'rot-categorization',
  'rot-moral-foundations',
  'rot-char-targeting',
  'rot-bad',
  'rot-judgment',
  'action',
  'action-agency',
  'action-moral-judgment',
  'action-agree',
  'action-legal',
  'action-pressure',
  'action-char-involved',
  'action-hypothetical',
  'situation',
  'situation-short-id',
  'rot',
  'rot-id',
  'rot-worker-id',
  'breakdown-worker-id',
  'n-characters',
  'characters',
] as const

/** Columns the importer reads; the others may be absent. */
const REQUIRED = ['rot-moral-foundations', 'rot-bad', 'action', 'action-moral-judgment', 'action-agree', 'rot']

/** w(a) for action-agree a = 0..4: midpoints of the buckets <1%, 5–25%, 50%, 75–90%, >99%. */
export const AGREEMENT_MIDPOINTS = [0.01, 0.15, 0.5, 0.825, 0.99] as const

export const DEFAULT_SOCIAL_CHEM_OPTIONS: SocialChemOptions = {
  dropBad: true,
  requireFoundations: true,
  requireJudgment: true,
  text: 'action',
  agreementWeights: 'midpoint',
}

export function agreementWeight(a: number, weights: AgreementWeights): number {
  return weights === 'linear' ? a / 4 : AGREEMENT_MIDPOINTS[a]
}

/** t = (|j|/2)·w(a). */
export function socialChemTypicality(judgment: number, agree: number, weights: AgreementWeights = 'midpoint'): number {
  return (Math.abs(judgment) / 2) * agreementWeight(agree, weights)
}

/** METHODS §1.4 A: t split equally over the listed core foundations, on the side given by the sign of j. */
export function socialChemMoralVector(
  foundations: readonly Foundation[],
  judgment: number,
  typicality: number,
): number[] {
  const v = new Array<number>(MORAL_VECTOR_DIM).fill(0)
  if (judgment === 0) return v
  const core = foundations.filter((f): f is CoreFoundation => (CORE_FOUNDATIONS as readonly string[]).includes(f))
  if (core.length === 0) return v
  const side = judgment > 0 ? 'virtue' : 'vice'
  for (const f of core) v[moralAxisIndex(f, side)] += typicality / core.length
  return v
}

function typicalityNote(weights: AgreementWeights): string {
  return weights === 'linear'
    ? '(|action-moral-judgment|/2) × action-agree/4'
    : '(|action-moral-judgment|/2) × w(action-agree), ' +
        'w = 0.01, 0.15, 0.5, 0.825, 0.99 for agree 0..4 (bucket midpoints)'
}

function detect(s: Sample): { confidence: number; reason: string } {
  if (s.json) return { confidence: 0, reason: 'JSON' }
  const h = new Columns(s.rows[0] ?? [])
  if (h.has('rot-moral-foundations', 'action-moral-judgment')) {
    return { confidence: 1, reason: 'header has rot-moral-foundations and action-moral-judgment' }
  }
  return { confidence: 0, reason: 'no Social-Chemistry-101 header' }
}

const EXPECTED =
  `the Social-Chemistry-101 header (${SOCIAL_CHEM_COLUMNS.length} tab-separated columns ` + 'starting "area, m, split")'

export const socialChem: FormatDefinition = {
  id: 'social-chem',
  dataset: 'Social-Chemistry-101 (Forbes et al., 2020)',
  kind: 'typicality',
  expected: EXPECTED,
  detect,
  check(s) {
    if (s.json) return { line: 1, expected: EXPECTED, got: describeSample(s) }
    const names = headerNames(s)
    const missing = REQUIRED.filter((c) => !names.includes(c))
    if (missing.length === 0) return null
    const got = describeSample(s)
    return {
      line: 1,
      expected: EXPECTED,
      got: names.length > 1 && missing.length < REQUIRED.length ? `${got} (missing ${missing.join(', ')})` : got,
    }
  },
  reader(s, options) {
    return { kind: 'delimited', delimiter: options.delimiter ?? s.delimiter, quote: '"', header: true }
  },
  createMapper: (ctx) => new SocialChemMapper(ctx),
}

interface Cell {
  seen: number
  cap: number
  items: StimulusItem[]
}

class SocialChemMapper implements FormatMapper {
  private readonly o: SocialChemOptions
  private readonly items: StimulusItem[] = []
  private readonly cells = new Map<string, Cell>()
  private readonly rng: Rng | undefined
  private readonly note: string
  private nCols = 0
  private col: Record<string, number> = {}
  private seenRows = 0

  constructor(private readonly ctx: MapperContext) {
    this.o = { ...DEFAULT_SOCIAL_CHEM_OPTIONS, ...ctx.options.socialChem }
    const sub = this.o.subsample
    if (sub) {
      if (!(sub.maxPerCell >= 1)) throw new Error(`subsample.maxPerCell must be at least 1, got ${sub.maxPerCell}`)
      this.rng = new Rng(sub.seed)
    }
    this.note = typicalityNote(this.o.agreementWeights)
    if (this.o.frame !== undefined && !this.o.frame.includes('{text}')) {
      throw new Error(`socialChem.frame must contain a {text} slot, got '${this.o.frame}'`)
    }
  }

  header(fields: string[], line: number): void {
    const cols = new Columns(fields)
    const missing = cols.missing(REQUIRED)
    if (missing.length) {
      throw new Error(`${this.ctx.file} line ${line}: expected ${EXPECTED}, got a header without ${missing.join(', ')}`)
    }
    if (this.ctx.sample.delimiter !== '\t') {
      const kind = this.ctx.sample.delimiter === ',' ? 'comma' : 'not tab'
      this.ctx.report.notice(`${this.ctx.file} is ${kind}-separated; read with the columns of its header`)
    }
    this.nCols = fields.length
    for (const c of SOCIAL_CHEM_COLUMNS) this.col[c] = cols.find(c)
  }

  fields(f: string[], line: number): void {
    const { report } = this.ctx
    const o = this.o
    const col = this.col
    if (f.length !== this.nCols) {
      report.dropInvalid(line, {
        expected:
          `${this.nCols} ${this.ctx.sample.delimiter === '\t' ? 'tab-separated ' : ''}fields ` + '(as in the header)',
        got: `${f.length}`,
      })
      return
    }
    const cell = (name: string, i: number) => ({ column: i + 1, field: name })
    // rot-bad
    const iBad = col['rot-bad']
    const bad = parseIntIn(f[iBad], 0, 1)
    if (bad === undefined) {
      report.dropInvalid(line, { ...cell('rot-bad', iBad), expected: '0 or 1', got: shown(f[iBad]) })
      return
    }
    if (bad === 1 && o.dropBad) {
      report.drop(line, 'rot-bad is 1 (the RoT was flagged as confusing or low quality)')
      return
    }
    const split = col.split >= 0 ? f[col.split].trim() : ''
    if (o.splits && !o.splits.includes(split)) {
      report.drop(
        line,
        `split '${split}' is not among the selected splits (${o.splits.join(', ')})`,
        undefined,
        'split not selected',
      )
      return
    }
    // foundations
    const iF = col['rot-moral-foundations']
    const { foundations, unknown } = parseFoundationList(f[iF])
    if (unknown.length) {
      const detail = {
        ...cell('rot-moral-foundations', iF),
        expected:
          'a |-list of care-harm, fairness-cheating, loyalty-betrayal, authority-subversion, sanctity-degradation',
        got: shown(unknown.join('|')),
      }
      if (foundations.length === 0 && o.requireFoundations) {
        report.dropInvalid(line, detail)
        return
      }
      report.warn(line, detail)
    }
    if (foundations.length === 0 && o.requireFoundations) {
      report.drop(line, 'rot-moral-foundations is empty')
      return
    }
    // judgment and agreement
    const iJ = col['action-moral-judgment']
    const iA = col['action-agree']
    const j = parseIntIn(f[iJ], -2, 2)
    if (j === undefined) {
      report.dropInvalid(line, {
        ...cell('action-moral-judgment', iJ),
        expected: 'an integer in -2..2',
        got: shown(f[iJ]),
      })
      return
    }
    const a = parseIntIn(f[iA], 0, 4)
    if (a === undefined) {
      report.dropInvalid(line, { ...cell('action-agree', iA), expected: 'an integer in 0..4', got: shown(f[iA]) })
      return
    }
    if (o.requireJudgment && (j === null || a === null)) {
      report.drop(line, `${j === null ? 'action-moral-judgment' : 'action-agree'} is empty`)
      return
    }
    // text
    const textCol = o.text
    const raw = f[col[textCol]].trim()
    if (raw === '' || isEmptyCell(raw)) {
      report.drop(line, `${textCol} is empty`)
      return
    }
    const otherCol = textCol === 'action' ? 'rot' : 'action'
    const item: StimulusItem = {
      id: `social-chem:${line}`,
      text: detach(o.frame ? o.frame.replace('{text}', raw) : raw),
    }
    if (foundations.length) {
      item.foundation = foundations[0]
      item.foundations = foundations
    }
    let polarity: Polarity | undefined
    if (j !== null) {
      polarity = j < 0 ? 'vice' : j > 0 ? 'virtue' : 'neutral'
      item.polarity = polarity
    }
    if (j !== null && a !== null) {
      const t = socialChemTypicality(j, a, o.agreementWeights)
      item.typicality = t
      item.typicalitySource = 'derived'
      item.typicalityNote = this.note
      item.moralVector = socialChemMoralVector(foundations, j, t)
    }
    if (split) item.split = detach(split)
    const meta: Record<string, string | number | boolean | null> = {
      line,
      'action-moral-judgment': j,
      'action-agree': a,
      'rot-bad': bad,
    }
    if (o.frame) meta[textCol] = detach(raw)
    const other = f[col[otherCol]]
    if (other !== undefined && other !== '') meta[otherCol] = detach(other)
    for (const c of ['area', 'rot-id', 'rot-categorization'] as const) {
      const i = col[c]
      if (i >= 0 && f[i] !== '') meta[c] = detach(f[i])
    }
    item.meta = meta
    this.seenRows++
    if (this.rng) this.offer(item, polarity)
    else this.items.push(item)
  }

  /** Reservoir sampling (Algorithm R) per (primary foundation × polarity) cell; neutral is one cell. */
  private offer(item: StimulusItem, polarity: Polarity | undefined): void {
    const sub = this.o.subsample!
    const key =
      polarity === undefined
        ? 'unlabelled'
        : polarity === 'neutral'
          ? 'neutral'
          : `${item.foundation ?? 'none'}.${polarity}`
    let c = this.cells.get(key)
    if (!c) {
      c = { seen: 0, cap: key === 'neutral' ? (sub.neutralCap ?? sub.maxPerCell) : sub.maxPerCell, items: [] }
      this.cells.set(key, c)
    }
    c.seen++
    if (c.items.length < c.cap) c.items.push(item)
    else {
      const r = this.rng!.int(c.seen)
      if (r < c.cap) c.items[r] = item
    }
  }

  finish(): MapperOutput {
    const o = this.o
    let items = this.items
    let sampling: SamplingReport | undefined
    const parts = [
      `text = ${o.text}${o.frame ? ` in the frame "${o.frame}"` : ''}`,
      o.dropBad ? 'rows with rot-bad = 1 dropped' : 'rot-bad rows kept',
      `typicality = ${this.note}`,
      'moral vector per METHODS §1.4 A (typicality split equally over the listed foundations)',
    ]
    if (o.splits) parts.push(`splits: ${o.splits.join(', ')}`)
    if (o.subsample) {
      const sub = o.subsample
      const neutralCap = sub.neutralCap ?? sub.maxPerCell
      sampling = { seed: sub.seed, maxPerCell: sub.maxPerCell, neutralCap, cells: {} }
      items = []
      for (const key of [...this.cells.keys()].sort()) {
        const c = this.cells.get(key)!
        sampling.cells[key] = { seen: c.seen, kept: c.items.length }
        items.push(...c.items)
      }
      items.sort((x, y) => (x.meta!.line as number) - (y.meta!.line as number))
      const skipped = this.seenRows - items.length
      parts.push(
        `balanced subsample (seed ${sub.seed}): at most ${sub.maxPerCell} per foundation × polarity cell ` +
          `and ${neutralCap} neutral; ${skipped} valid rows not sampled`,
      )
      if (skipped > 0) {
        this.ctx.report.notice(`${skipped} valid rows were not picked by the balanced subsample (seed ${sub.seed})`)
      }
    }
    return { items, description: parts.join('; ') + '.', kind: 'typicality', sampling }
  }
}
