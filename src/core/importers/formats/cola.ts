// CoLA (Warstadt et al., 2019) TSV: source, label, original label, sentence; no header, no quoting.
// values.grammatical = label (1 acceptable, 0 not), text = sentence.

import type { StimulusItem } from '../../stimuli/types.ts'
import {
  describeSample,
  type FormatDefinition,
  type FormatMapper,
  type MapperContext,
  type MapperOutput,
} from '../format.ts'
import { shown } from '../report.ts'
import { parseBinary } from '../values.ts'

const EXPECTED = 'CoLA TSV rows (4 tab-separated columns: source, label 0/1, original label, sentence; no header)'
const ORIGINAL_LABEL = /^[*?#]{0,3}$/

function looksLikeCola(r: string[]): boolean {
  return r.length === 4 && (r[1] === '0' || r[1] === '1') && ORIGINAL_LABEL.test(r[2].trim()) && r[3].trim() !== ''
}

export const cola: FormatDefinition = {
  id: 'cola',
  dataset: 'CoLA, the Corpus of Linguistic Acceptability (Warstadt et al., 2019)',
  kind: 'generic',
  expected: EXPECTED,
  detect(s) {
    if (s.json || s.delimiter !== '\t' || s.rows.length === 0) return { confidence: 0, reason: '' }
    // The first row strictly, and most rows shaped like CoLA: malformed rows must not hide the format.
    const shaped = s.rows.filter((r) => r.length >= 3 && /^\S+$/.test(r[0])).length
    return looksLikeCola(s.rows[0]) && shaped >= 0.8 * s.rows.length
      ? { confidence: 0.9, reason: '4 tab-separated columns with a 0/1 label in the second' }
      : { confidence: 0, reason: '' }
  },
  check(s) {
    const r = s.rows[0]
    if (!s.json && s.delimiter === '\t' && r && r.length >= 4 && parseBinary(r[1]) != null) return null
    let got = describeSample(s)
    if (!s.json && s.delimiter === '\t' && r && r.length >= 4) got += ` (label ${shown(r[1])})`
    return { line: 1, expected: EXPECTED, got }
  },
  reader(_s, options) {
    return { kind: 'delimited', delimiter: options.delimiter ?? '\t', quote: null, header: false }
  },
  createMapper: (ctx) => new ColaMapper(ctx),
}

class ColaMapper implements FormatMapper {
  private readonly items: StimulusItem[] = []

  constructor(private readonly ctx: MapperContext) {}

  fields(f: string[], line: number): void {
    const { report } = this.ctx
    if (f.length < 4) {
      report.dropInvalid(line, {
        expected: '4 tab-separated fields (source, label, original label, sentence)',
        got: `${f.length}`,
      })
      return
    }
    const label = parseBinary(f[1])
    if (label === null || label === undefined) {
      report.dropInvalid(line, { column: 2, field: 'label', expected: '0 or 1', got: shown(f[1]) })
      return
    }
    let sentence = f[3]
    if (f.length > 4) {
      sentence = f.slice(3).join('\t')
      report.warn(line, {
        column: 5,
        expected: '4 fields',
        got: `${f.length}; the extra tabs were kept in the sentence`,
      })
    }
    sentence = sentence.trim()
    if (sentence === '') {
      report.dropInvalid(line, { column: 4, field: 'sentence', expected: 'a sentence', got: 'an empty value' })
      return
    }
    const meta: NonNullable<StimulusItem['meta']> = { source: f[0].trim(), line }
    if (f[2].trim() !== '') meta.originalLabel = f[2].trim()
    this.items.push({ id: `cola:${line}`, text: sentence, values: { grammatical: label }, meta })
  }

  finish(): MapperOutput {
    return {
      items: this.items,
      kind: 'generic',
      description: 'CoLA: values.grammatical = label (1 acceptable, 0 unacceptable); meta.source = the source code.',
    }
  }
}
