// The content hash that identifies a stimulus set everywhere (activation store keys, exports, reports).
// Only what changes an analysis goes in: the items (texts, labels, order) and the prompt templates;
// renaming a set or editing its description keeps its stored activations valid.
import { Sha256, canonicalJson } from '../hash.ts'
import type { StimulusSet } from './types.ts'

/** The canonical content that is hashed, for callers that want to inspect or re-hash it elsewhere. */
export function stimulusSetContent(set: Pick<StimulusSet, 'items' | 'prompts'>): string {
  return canonicalJson({ items: set.items, prompts: set.prompts ?? {} })
}

/**
 * SHA-256 (hex) of canonicalJson({ items, prompts }): object key order never matters, item order does.
 * Fed item by item so a 100k-item set never builds one giant string; equal to
 * sha256Hex(stimulusSetContent(set)).
 */
export function stimulusSetHash(set: Pick<StimulusSet, 'items' | 'prompts'>): string {
  const h = new Sha256()
  h.update('{"items":[')
  set.items.forEach((item, i) => {
    if (i > 0) h.update(',')
    h.update(canonicalJson(item ?? null))
  })
  h.update(`],"prompts":${canonicalJson(set.prompts ?? {})}}`)
  return h.digestHex()
}

/** Short form for labels and file names. */
export function shortStimulusSetHash(set: Pick<StimulusSet, 'items' | 'prompts'>, length = 12): string {
  return stimulusSetHash(set).slice(0, length)
}
