// Norm Bank / ICM-style claims (`claim`, `label`, `consistency_id`, optional `consistency_key`) as JSON arrays,
// JSON Lines or CSV; also the UDHR-demographics files of the moral-elicitation fork (all labels 1), whose category
// comes from a `category` field or the file name (hr_dataset_<Category>.json, current_… for descriptive claims).

import type { StimulusItem } from '../../stimuli/types.ts'
import {
  Columns,
  describeSample,
  type FormatDefinition,
  type FormatMapper,
  type MapperContext,
  type MapperOutput,
  type Sample,
} from '../format.ts'
import { shown } from '../report.ts'
import { cellText, headerName, metaValue, parseBinary } from '../values.ts'

const TEXT_KEYS = ['claim', 'statement', 'text']
const KNOWN = new Set([...TEXT_KEYS, 'label', 'consistency_id', 'consistency_key', 'category', 'split'])

/** UDHR file-name pattern: [current_]hr_dataset_<Category>.json(l). */
export function udhrCategoryFromFileName(fileName: string): { category: string; descriptive: boolean } | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  const m = /^(current_)?hr_dataset_(.+?)\.(jsonl?|csv)$/i.exec(base)
  if (!m) return undefined
  return { category: m[2].replace(/_/g, ' ').trim(), descriptive: !!m[1] }
}

function keysOf(s: Sample): string[] {
  if (s.json) return s.objects.length ? Object.keys(s.objects[0]).map(headerName) : []
  return (s.rows[0] ?? []).map(headerName)
}

const EXPECTED = 'Norm Bank / ICM-style claims (JSON, JSON Lines or CSV with "claim" and "label")'

export const normbank: FormatDefinition = {
  id: 'normbank',
  dataset: 'Norm Bank / ICM-style moral claims',
  kind: 'claims',
  expected: EXPECTED,
  detect(s) {
    const keys = keysOf(s)
    const hasClaim = keys.includes('claim')
    const hasLabel = keys.includes('label')
    if (hasClaim && hasLabel) {
      return { confidence: s.json ? 0.95 : 0.8, reason: 'records have claim and label' }
    }
    if (s.json && hasClaim) return { confidence: 0.7, reason: 'JSON records have a claim' }
    return { confidence: 0, reason: '' }
  },
  check(s) {
    const keys = keysOf(s)
    if (keys.some((k) => TEXT_KEYS.includes(k)) && keys.includes('label')) return null
    return { line: 1, expected: EXPECTED, got: describeSample(s) }
  },
  reader(s, options) {
    return s.json
      ? { kind: 'json' }
      : { kind: 'delimited', delimiter: options.delimiter ?? s.delimiter, quote: '"', header: true }
  },
  createMapper: (ctx) => new NormBankMapper(ctx),
}

class NormBankMapper implements FormatMapper {
  private readonly items: StimulusItem[] = []
  private header_: string[] = []
  private readonly udhr: { category: string; descriptive: boolean } | undefined
  private allOnes = true

  constructor(private readonly ctx: MapperContext) {
    this.udhr = udhrCategoryFromFileName(ctx.file)
  }

  header(fields: string[], line: number): void {
    const cols = new Columns(fields)
    if (!cols.has('label') || cols.find(...TEXT_KEYS) < 0) {
      throw new Error(`${this.ctx.file} line ${line}: expected ${EXPECTED}, got a header without claim or label`)
    }
    this.header_ = cols.names
  }

  fields(f: string[], line: number): void {
    if (f.length !== this.header_.length) {
      this.ctx.report.dropInvalid(line, {
        expected: `${this.header_.length} fields (as in the header)`,
        got: `${f.length}`,
      })
      return
    }
    const o: Record<string, unknown> = {}
    this.header_.forEach((h, i) => (o[h] = f[i]))
    this.object(o, line)
  }

  object(raw: Record<string, unknown>, line: number): void {
    const { report } = this.ctx
    const v: Record<string, unknown> = {}
    for (const k of Object.keys(raw)) v[headerName(k)] = raw[k]
    const textKey = TEXT_KEYS.find((k) => v[k] !== undefined)
    const text = textKey ? cellText(v[textKey]) : undefined
    if (text === undefined) {
      report.dropInvalid(line, {
        field: 'claim',
        expected: 'non-empty text',
        got: shown(textKey ? v[textKey] : undefined),
      })
      return
    }
    const gold = parseBinary(v.label)
    if (gold === null || gold === undefined) {
      report.dropInvalid(line, { field: 'label', expected: '0 or 1 (or true/false)', got: shown(v.label) })
      return
    }
    if (gold !== 1) this.allOnes = false
    const id = `normbank:${line}`
    const group = cellText(v.consistency_id)
    const item: StimulusItem = { id, text: text.trim(), gold, consistencyGroup: group ?? id }
    const key = cellText(v.consistency_key)
    if (key !== undefined) item.consistencyKey = key
    const split = cellText(v.split)
    if (split !== undefined) item.split = split
    const meta: NonNullable<StimulusItem['meta']> = { line }
    const category = cellText(v.category) ?? this.udhr?.category
    if (category !== undefined) meta.category = category
    if (this.udhr) meta.claimType = this.udhr.descriptive ? 'descriptive' : 'prescriptive'
    for (const k of Object.keys(v)) if (!KNOWN.has(k)) meta[k] = metaValue(v[k])
    item.meta = meta
    this.items.push(item)
  }

  finish(): MapperOutput {
    const udhr = this.udhr || (this.allOnes && this.items.some((i) => i.meta?.category !== undefined))
    return {
      items: this.items,
      kind: 'claims',
      description: udhr
        ? 'UDHR-demographics style claims (all gold labels 1): the failure rate of a labeller is the share ' +
          'labelled 0, per meta.category.'
        : 'Norm Bank / ICM-style claims: text = claim, gold = label, consistency group = consistency_id ' +
          '(one group per item when absent), key = consistency_key.',
      prompts: { claim: 'Claim: {text}\nI think this claim is' },
    }
  }
}
