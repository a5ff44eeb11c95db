// A small set typed into the lab: one item per line, `text | polarity | foundation | typicality`
// (labels optional). Such a set is the user's own writing, so it may travel inline in a share link.
import { sha256Hex } from '../hash.ts'
import { CORE_FOUNDATIONS, FOUNDATIONS, MORAL_VECTOR_DIM, POLARITIES, moralAxisIndex, type CoreFoundation, type Foundation, type Polarity, type StimulusItem, type StimulusSet } from './types.ts'

export const TYPED_SET_SOURCE = 'typed in Moral Lens'
export const TYPED_SET_MAX_ITEMS = 200

export type TypedSetResult = { ok: true; set: StimulusSet } | { ok: false; errors: string[] }

export function parseTypedSet(text: string, name: string): TypedSetResult {
  const errors: string[] = []
  const items: StimulusItem[] = []
  const title = name.trim() || 'My set'
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1
    if (!raw.trim()) return
    const [body, polarityRaw, foundationRaw, typicalityRaw, ...extra] = raw.split('|').map((f) => f.trim())
    const where = (field: string) => `${title}, line ${line}, field ${field}`
    if (!body) return errors.push(`${where('text')}: expected the sentence before the first "|"`)
    if (extra.length) return errors.push(`${title}, line ${line}: expected at most 4 fields (text | polarity | foundation | typicality), got ${4 + extra.length}`)
    const item: StimulusItem = { id: `typed-${items.length + 1}`, text: body }
    if (polarityRaw) {
      if (!(POLARITIES as readonly string[]).includes(polarityRaw)) return errors.push(`${where('polarity')}: expected ${POLARITIES.join(' | ')}, got "${polarityRaw}"`)
      item.polarity = polarityRaw as Polarity
    }
    if (foundationRaw) {
      if (!(FOUNDATIONS as readonly string[]).includes(foundationRaw)) return errors.push(`${where('foundation')}: expected ${FOUNDATIONS.join(' | ')}, got "${foundationRaw}"`)
      item.foundation = foundationRaw as Foundation
      item.foundations = [foundationRaw as Foundation]
    }
    if (typicalityRaw) {
      const t = Number(typicalityRaw)
      if (!(t >= 0 && t <= 1)) return errors.push(`${where('typicality')}: expected a number from 0 to 1, got "${typicalityRaw}"`)
      item.typicality = t
      item.typicalitySource = 'authored'
    }
    if (item.polarity === 'neutral') item.moralVector = new Array(MORAL_VECTOR_DIM).fill(0)
    else if (item.polarity && item.foundation && (CORE_FOUNDATIONS as readonly string[]).includes(item.foundation)) {
      const v = new Array(MORAL_VECTOR_DIM).fill(0)
      v[moralAxisIndex(item.foundation as CoreFoundation, item.polarity)] = item.typicality ?? 1
      item.moralVector = v
    }
    items.push(item)
  })
  if (items.length === 0 && errors.length === 0) errors.push(`${title}: no sentences; write one per line.`)
  if (items.length > TYPED_SET_MAX_ITEMS) errors.push(`${title}: ${items.length} lines, more than the ${TYPED_SET_MAX_ITEMS} a typed set holds; import a file instead.`)
  if (errors.length) return { ok: false, errors }
  const hash = sha256Hex(items.map((i) => JSON.stringify(i)).join('\n')).slice(0, 12)
  return {
    ok: true,
    set: {
      id: `typed:${hash}`,
      name: title,
      source: TYPED_SET_SOURCE,
      licence: 'your own text',
      kind: items.some((i) => i.polarity) ? 'typicality' : 'generic',
      items,
    },
  }
}
