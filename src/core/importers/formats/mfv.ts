// Moral Foundations Vignettes style CSV (Clifford et al., 2015): one violation per row with the share of raters
// who chose each foundation as the one violated, and a mean wrongness rating.
//
// Expected header (case-insensitive; "_", "-", " " and suffixes like "_share"/"_prop"/"_pct" are ignored):
//   vignette | scenario | text | item | statement | description   the vignette text (required)
//   care (harm), fairness (cheating), loyalty (ingroup, betrayal), authority (respect, subversion),
//   sanctity (purity, degradation), liberty (oppression)            share of raters, 0–1 or percentages 0–100
//   social | social norms                                           optional share for the non-moral control
//   wrong | wrongness | mean_wrong | mean_wrongness                 optional mean wrongness (kept in meta)
//   foundation (the authors' intended foundation) and id are kept in meta; at least 3 foundation columns.
// Each item: foundation = the foundation with the largest share, typicality = that share (source 'human'),
// polarity vice (the vignettes describe violations), moral vector = the shares on the vice axes. A vignette whose
// largest share is the social-norms control is neutral, with no foundation and an all-zero vector.

import {
  FOUNDATIONS,
  MORAL_VECTOR_DIM,
  moralAxisIndex,
  type CoreFoundation,
  type Foundation,
  type StimulusItem,
} from '../../stimuli/types.ts'
import {
  describeSample,
  type FormatDefinition,
  type FormatMapper,
  type MapperContext,
  type MapperOutput,
  type Sample,
} from '../format.ts'
import { shown } from '../report.ts'
import { headerKey, parseNumber } from '../values.ts'

type ShareKey = Foundation | 'social'

const TEXT_NAMES = ['vignette', 'vignettetext', 'scenario', 'text', 'item', 'statement', 'description']
const SHARE_NAMES: Record<ShareKey, string[]> = {
  care: ['care', 'harm', 'careharm'],
  fairness: ['fairness', 'fair', 'cheating', 'fairnesscheating'],
  loyalty: ['loyalty', 'ingroup', 'betrayal', 'loyaltybetrayal'],
  authority: ['authority', 'respect', 'subversion', 'authoritysubversion', 'authorityrespect'],
  sanctity: ['sanctity', 'purity', 'degradation', 'sanctitydegradation', 'sanctitypurity'],
  liberty: ['liberty', 'oppression', 'libertyoppression'],
  social: ['social', 'socialnorms', 'socialnorm', 'norms'],
}
const WRONG_NAMES = ['wrong', 'wrongness', 'meanwrong', 'meanwrongness', 'wrongnessmean', 'wrongmean']
const SHARE_AFFIX = /^(share|prop|proportion|pct|percent)|(share|prop|proportion|pct|percent)$/g

const SHARE_KEYS: ShareKey[] = [...FOUNDATIONS, 'social']

interface Layout {
  text: number
  shares: Partial<Record<ShareKey, number>>
  wrong: number
  intended: number
  id: number
  names: string[]
}

function layoutOf(header: string[]): Layout {
  const keys = header.map(headerKey)
  const bare = keys.map((k) => k.replace(SHARE_AFFIX, ''))
  const find = (names: string[], from: string[]) => from.findIndex((k) => names.includes(k))
  const shares: Layout['shares'] = {}
  for (const f of SHARE_KEYS) {
    const i = find(SHARE_NAMES[f], bare)
    if (i >= 0) shares[f] = i
  }
  return {
    text: find(TEXT_NAMES, keys),
    shares,
    wrong: find(WRONG_NAMES, keys),
    intended: find(['foundation', 'intendedfoundation', 'category'], keys),
    id: find(['id', 'itemid', 'vignetteid'], keys),
    names: header,
  }
}

function foundationColumns(l: Layout): number {
  return FOUNDATIONS.filter((f) => l.shares[f] !== undefined).length
}

const EXPECTED =
  'a Moral Foundations Vignettes header (a vignette/scenario/text column and share columns such as ' +
  'care, fairness, loyalty, authority, sanctity, liberty)'

function detect(s: Sample): { confidence: number; reason: string } {
  if (s.json || !s.rows[0]) return { confidence: 0, reason: '' }
  const l = layoutOf(s.rows[0])
  if (l.text >= 0 && foundationColumns(l) >= 3) {
    return { confidence: 0.9, reason: 'a text column and per-foundation share columns' }
  }
  return { confidence: 0, reason: '' }
}

export const mfv: FormatDefinition = {
  id: 'mfv',
  dataset: 'Moral Foundations Vignettes (Clifford et al., 2015) style ratings',
  kind: 'typicality',
  expected: EXPECTED,
  detect,
  check(s) {
    if (detect(s).confidence > 0) return null
    let got = describeSample(s)
    if (!s.json && s.rows[0]) {
      const l = layoutOf(s.rows[0])
      if (l.text < 0) got += ' (no vignette text column)'
      else got += ` (${foundationColumns(l)} foundation share columns; at least 3 needed)`
    }
    return { line: 1, expected: EXPECTED, got }
  },
  reader(s, options) {
    return { kind: 'delimited', delimiter: options.delimiter ?? s.delimiter, quote: '"', header: true }
  },
  createMapper: (ctx) => new MfvMapper(ctx),
}

class MfvMapper implements FormatMapper {
  private layout!: Layout
  private readonly items: StimulusItem[] = []
  private percentRows = 0

  constructor(private readonly ctx: MapperContext) {}

  header(fields: string[], line: number): void {
    this.layout = layoutOf(fields)
    if (this.layout.text < 0 || foundationColumns(this.layout) < 3) {
      throw new Error(`${this.ctx.file} line ${line}: expected ${EXPECTED}, got ${fields.length} columns`)
    }
  }

  fields(f: string[], line: number): void {
    const { report } = this.ctx
    const l = this.layout
    if (f.length !== l.names.length) {
      report.dropInvalid(line, { expected: `${l.names.length} fields (as in the header)`, got: `${f.length}` })
      return
    }
    const text = f[l.text].trim()
    if (text === '') {
      report.dropInvalid(line, {
        column: l.text + 1,
        field: l.names[l.text],
        expected: 'the vignette text',
        got: 'an empty value',
      })
      return
    }
    const raw: Partial<Record<ShareKey, number>> = {}
    for (const k of SHARE_KEYS) {
      const i = l.shares[k]
      if (i === undefined) continue
      const x = parseNumber(f[i])
      if (x === null || x === undefined || x < 0 || x > 100) {
        report.dropInvalid(line, {
          column: i + 1,
          field: l.names[i],
          expected: 'a share of raters in [0,1] (or a percentage 0–100)',
          got: shown(f[i]),
        })
        return
      }
      raw[k] = x
    }
    const values = Object.values(raw) as number[]
    const percent = values.some((x) => x > 1)
    if (percent) this.percentRows++
    const share = (k: ShareKey) => (raw[k] ?? 0) / (percent ? 100 : 1)
    let best: ShareKey | undefined
    let bestShare = 0
    let sum = 0
    for (const k of SHARE_KEYS) {
      const s = share(k)
      sum += s
      if (s > bestShare) {
        best = k
        bestShare = s
      }
    }
    if (best === undefined) {
      report.drop(line, 'no rater chose any foundation (all shares are 0)')
      return
    }
    if (sum > 1.05) {
      report.warn(line, { expected: 'shares that sum to at most 1', got: `a sum of ${+sum.toFixed(3)}` })
    }
    const item: StimulusItem = { id: `mfv:${line}`, text, typicality: bestShare, typicalitySource: 'human' }
    const meta: NonNullable<StimulusItem['meta']> = { line }
    if (best === 'social') {
      item.polarity = 'neutral'
      item.typicalityNote = 'share of raters who judged it a social-norm (not moral) violation'
      meta.category = 'social-norms'
    } else {
      item.foundation = best
      item.foundations = [best]
      item.polarity = 'vice'
      item.values = { moral: 0 }
      item.typicalityNote = `share of raters who chose ${best} as the violated foundation`
    }
    // A neutral (social-norm) item gets the all-zero vector of the stimulus model; its shares stay in meta.
    const v = new Array<number>(MORAL_VECTOR_DIM).fill(0)
    if (best !== 'social') {
      for (const k of ['care', 'fairness', 'loyalty', 'authority', 'sanctity'] as CoreFoundation[]) {
        v[moralAxisIndex(k, 'vice')] = share(k)
      }
    }
    item.moralVector = v
    for (const k of SHARE_KEYS) if (raw[k] !== undefined) meta[`share.${k}`] = share(k)
    if (l.wrong >= 0) {
      const w = parseNumber(f[l.wrong])
      if (w === undefined) {
        report.warn(line, {
          column: l.wrong + 1,
          field: l.names[l.wrong],
          expected: 'a number',
          got: shown(f[l.wrong]),
        })
      } else meta.wrongness = w
    }
    if (l.intended >= 0 && f[l.intended] !== '') meta.intendedFoundation = f[l.intended]
    if (l.id >= 0 && f[l.id] !== '') meta.sourceId = f[l.id]
    item.meta = meta
    this.items.push(item)
  }

  finish(): MapperOutput {
    if (this.percentRows)
      this.ctx.report.notice(`${this.percentRows} rows had shares above 1 and were read as percentages`)
    return {
      items: this.items,
      kind: 'typicality',
      description:
        'Moral Foundations Vignettes style: foundation = largest share of raters, typicality = that share (human), ' +
        'polarity vice; moral vector = the shares on the vice axes; meta.wrongness = mean wrongness.',
    }
  }
}
