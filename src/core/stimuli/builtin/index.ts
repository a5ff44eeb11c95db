// The stimulus sets that ship with the lab, all written by the project.
import type { StimulusSet } from '../types.ts'
import { MORAL_CLAIMS_SET } from './moral-claims.ts'
import { MORAL_TYPICALITY_SET } from './moral-typicality.ts'
import { VALUE_ENTANGLEMENT_SET } from './value-entanglement.ts'

export { MORAL_CLAIMS_SET, MORAL_TYPICALITY_SET, VALUE_ENTANGLEMENT_SET }

export const BUILTIN_SETS: readonly StimulusSet[] = [MORAL_TYPICALITY_SET, VALUE_ENTANGLEMENT_SET, MORAL_CLAIMS_SET]

export type BuiltinSetId = 'builtin:moral-typicality' | 'builtin:value-entanglement' | 'builtin:moral-claims'

export const BUILTIN_SET_IDS: readonly BuiltinSetId[] = [
  'builtin:moral-typicality',
  'builtin:value-entanglement',
  'builtin:moral-claims',
]

export function getBuiltinSet(id: string): StimulusSet | undefined {
  return BUILTIN_SETS.find((s) => s.id === id)
}
