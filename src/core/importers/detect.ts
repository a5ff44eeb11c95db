// Format registry and auto-detection from a file's first lines.

import { analyseSample, type FormatDefinition, type Sample } from './format.ts'
import { cola } from './formats/cola.ts'
import { ethicsCm, ethicsDeontology, ethicsJustice, ethicsUtil, ethicsVirtue } from './formats/ethics.ts'
import { generic } from './formats/generic.ts'
import { mfv } from './formats/mfv.ts'
import { normbank } from './formats/normbank.ts'
import { socialChem } from './formats/social-chem.ts'
import { FORMAT_IDS, type FormatDetection, type FormatId } from './types.ts'

export const FORMATS: Record<FormatId, FormatDefinition> = {
  'social-chem': socialChem,
  'ethics-cm': ethicsCm,
  'ethics-deontology': ethicsDeontology,
  'ethics-justice': ethicsJustice,
  'ethics-virtue': ethicsVirtue,
  'ethics-util': ethicsUtil,
  normbank,
  mfv,
  cola,
  generic,
}

/** Score every format on a sample; ties go to the earlier format in FORMAT_IDS. Undefined if none fits. */
export function detectFromSample(s: Sample): FormatDetection | undefined {
  const scored = FORMAT_IDS.map((id) => ({ format: id, ...FORMATS[id].detect(s) }))
    .filter((c) => c.confidence > 0)
    .sort((a, b) => b.confidence - a.confidence)
  if (scored.length === 0) return undefined
  return {
    format: scored[0].format,
    confidence: scored[0].confidence,
    reason: scored[0].reason,
    candidates: scored.map(({ format, confidence }) => ({ format, confidence })),
  }
}

/**
 * Guess the format of a file from its header or first lines (as one string or as lines) and its name.
 * Throws when nothing fits, naming the file and what was seen.
 */
export function detectFormat(headerOrFirstLines: string | string[], fileName: string): FormatDetection {
  const text = Array.isArray(headerOrFirstLines) ? headerOrFirstLines.join('\n') : headerOrFirstLines
  const s = analyseSample(text, fileName, true)
  const d = detectFromSample(s)
  if (!d) throw noFormatError(s)
  return d
}

export function noFormatError(s: Sample): Error {
  const seen = s.json
    ? 'JSON records without a claim or text field'
    : `columns ${(s.rows[0] ?? [])
        .slice(0, 8)
        .map((c) => `"${c.slice(0, 30)}"`)
        .join(', ')}`
  return new Error(
    `${s.fileName} line 1: could not recognise the format (expected one of ${FORMAT_IDS.join(', ')}), got ${seen}; ` +
      'choose a format, or give a column mapping for the generic importer',
  )
}
