// The text an SAE trains on: the items of chosen stimulus sets plus any text the user pastes or
// imports, as one generic set whose per-token activations the store captures.
import type { StimulusItem, StimulusSet } from '../stimuli/types.ts'
import { sha256Hex } from '../hash.ts'

export interface SaeCorpusOptions {
  /** Pasted or imported plain text: one passage per non-empty line, long lines cut into chunks. */
  extraText?: string
  /** Name of the pasted text's source, for messages (e.g. a file name). */
  extraSource?: string
  /** Longest passage in words before it is cut (default 48: the capture keeps every token). */
  maxWords?: number
  /** At most this many passages from the extra text (default 5000). */
  maxPassages?: number
}

export interface SaeCorpus {
  set: StimulusSet
  /** Passages per source: set names and the extra text. */
  sources: { name: string; passages: number }[]
  /** Duplicate texts left out. */
  duplicates: number
}

/** Splits plain text into passages: one per non-empty line, lines over maxWords cut at word boundaries. */
export function splitPassages(text: string, maxWords = 48): string[] {
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const words = raw.trim().split(/\s+/).filter(Boolean)
    for (let i = 0; i < words.length; i += maxWords) out.push(words.slice(i, i + maxWords).join(' '))
  }
  return out
}

/**
 * One set of unique passages from the given sets (their item texts) and the extra text. Item ids
 * keep their origin ("<set id>#<item id>", "text#<line>") so top examples can name it.
 */
export function buildSaeCorpus(sets: readonly StimulusSet[], options: SaeCorpusOptions = {}): SaeCorpus {
  const seen = new Set<string>()
  const items: StimulusItem[] = []
  const sources: SaeCorpus['sources'] = []
  let duplicates = 0
  const add = (id: string, text: string) => {
    const t = text.trim()
    if (!t) return false
    if (seen.has(t)) {
      duplicates++
      return false
    }
    seen.add(t)
    items.push({ id, text: t })
    return true
  }
  for (const s of sets) {
    let n = 0
    for (const it of s.items) if (add(`${s.id}#${it.id}`, it.text)) n++
    sources.push({ name: s.name, passages: n })
  }
  if (options.extraText?.trim()) {
    const maxPassages = options.maxPassages ?? 5000
    const passages = splitPassages(options.extraText, options.maxWords ?? 48)
    if (passages.length > maxPassages)
      throw new Error(
        `${options.extraSource ?? 'The pasted text'}: ${passages.length} passages, more than the ${maxPassages} the browser trainer takes; use a shorter excerpt.`,
      )
    let n = 0
    passages.forEach((p, i) => {
      if (add(`text#${i + 1}`, p)) n++
    })
    sources.push({ name: options.extraSource ?? 'pasted text', passages: n })
  }
  if (items.length === 0) throw new Error('The SAE corpus is empty: choose at least one stimulus set or paste some text.')
  const key = sha256Hex(items.map((i) => i.text).join('\n')).slice(0, 12)
  return {
    set: {
      id: `sae-corpus:${key}`,
      name: `SAE corpus (${sources.map((s) => s.name).join(' + ')})`,
      source: 'Moral Lens SAE corpus: the chosen sets and text',
      licence: 'as its sources',
      kind: 'generic',
      items,
    },
    sources,
    duplicates,
  }
}
