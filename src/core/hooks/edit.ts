// Residual edits that are functions of the residual itself (an SAE reconstruction, a re-alignment
// map, zero-ablation): run once to read the hook, compute the per-position change outside the
// graph, run again with it fed through the hook's delta input. The residual at the hook does not
// depend on the edit (only later layers do), so the two-pass result equals an in-graph splice.
import type { CausalLM, EncodedBatch, OrtTensor, RunOptions } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'

export interface ResidualEdit {
  hook: string
  /**
   * Given the residual rows at the hook ([rows, d], real tokens only, in batch order; `lengths`
   * gives each batch row's token count), returns the change to add, same shape.
   */
  delta: (rows: Float32Array, nRows: number, d: number, lengths: readonly number[]) => Float32Array | Promise<Float32Array>
}

/** Forward pass with edits applied at their hooks; one extra pass per edit. */
export async function forwardWithEdits(
  model: CausalLM,
  batch: EncodedBatch,
  opts: RunOptions & { edits: ResidualEdit[] },
): Promise<Record<string, OrtTensor>> {
  if (opts.edits.length === 0) return model.forward(batch, opts)
  const d = model.dModel
  const B = batch.ids.length
  const T = batch.maxLen
  const edits = [...opts.edits].sort((a, b) => model.siteOf(a.hook) - model.siteOf(b.hook))
  const deltas = new Map<string, Float32Array>(opts.deltas ?? [])
  for (const edit of edits) {
    const output = model.hookOutput(edit.hook)
    const out = await model.forward(batch, { ...opts, fetch: [output], deltas })
    const h = tensorToFloat32(out[output])
    out[output].dispose()
    // Gather real positions, edit, scatter back (padding stays zero).
    const real = batch.lengths.reduce((a, n) => a + n, 0)
    const rows = new Float32Array(real * d)
    let r = 0
    for (let b = 0; b < B; b++)
      for (let t = 0; t < batch.lengths[b]; t++, r++) rows.set(h.subarray((b * T + t) * d, (b * T + t + 1) * d), r * d)
    const change = await edit.delta(rows, real, d, batch.lengths)
    if (change.length !== rows.length) throw new Error(`the edit at ${edit.hook} returned ${change.length} values for ${rows.length}`)
    const full = new Float32Array(B * T * d)
    r = 0
    for (let b = 0; b < B; b++)
      for (let t = 0; t < batch.lengths[b]; t++, r++) full.set(change.subarray(r * d, (r + 1) * d), (b * T + t) * d)
    deltas.set(edit.hook, full)
  }
  return model.forward(batch, { ...opts, deltas })
}

/** Replaces the residual with zeros at a hook (the baseline of SAELens's CE/KL scores). */
export function zeroAblation(hook: string): ResidualEdit {
  return { hook, delta: (rows) => rows.map((x) => -x) }
}
