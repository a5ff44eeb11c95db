// Interventions on the residual stream, expressed as values for the instrumented graph's
// inputs: directional ablation h ← h − Σ (h·d̂)d̂ over an orthonormalised set, and additive
// steering h ← h + α·v, each at a hook, on all positions or on the last.
export interface Intervention {
  hook: string
  /** Directions to project out (orthonormalised together). */
  ablate?: Float32Array[]
  /** Vector to add (α already folded in, or give `alpha`). */
  add?: Float32Array
  alpha?: number
  positions?: 'all' | 'last'
}

/** Modified Gram–Schmidt in float64; directions (nearly) in the span of earlier ones are dropped. */
export function orthonormalize(vectors: Float32Array[], d: number, tolerance = 1e-6): Float32Array[] {
  const basis: Float64Array[] = []
  for (const v of vectors) {
    if (v.length !== d) throw new Error(`a direction has ${v.length} values; the residual stream has ${d}`)
    const w = Float64Array.from(v)
    const n0 = Math.hypot(...w)
    if (!(n0 > 0)) continue
    for (let pass = 0; pass < 2; pass++)
      for (const b of basis) {
        let dot = 0
        for (let i = 0; i < d; i++) dot += w[i] * b[i]
        for (let i = 0; i < d; i++) w[i] -= dot * b[i]
      }
    let n = 0
    for (let i = 0; i < d; i++) n += w[i] * w[i]
    n = Math.sqrt(n)
    if (n <= tolerance * n0) continue
    for (let i = 0; i < d; i++) w[i] /= n
    basis.push(w)
  }
  return basis.map((b) => Float32Array.from(b))
}

export interface SiteValues {
  directions: Float32Array
  nDirections: number
  steer: Float32Array
  positions: 'all' | 'last'
}

/** Groups interventions by residual site and resolves them into input values. */
export function resolveInterventions(
  interventions: Intervention[],
  siteOfHook: Map<string, number>,
  d: number,
): Map<number, SiteValues> {
  const bySite = new Map<number, Intervention[]>()
  for (const iv of interventions) {
    const site = siteOfHook.get(iv.hook)
    if (site === undefined) throw new Error(`unknown hook "${iv.hook}"`)
    const list = bySite.get(site) ?? []
    list.push(iv)
    bySite.set(site, list)
  }
  const out = new Map<number, SiteValues>()
  for (const [site, list] of bySite) {
    const positions = list[0].positions ?? 'all'
    if (list.some((iv) => (iv.positions ?? 'all') !== positions))
      throw new Error(`interventions at ${list[0].hook} disagree on positions (all vs last); split them across hooks`)
    const dirs = orthonormalize(list.flatMap((iv) => iv.ablate ?? []), d)
    const steer = new Float32Array(d)
    for (const iv of list) {
      if (!iv.add) continue
      if (iv.add.length !== d) throw new Error(`the steering vector at ${iv.hook} has ${iv.add.length} values; expected ${d}`)
      const a = iv.alpha ?? 1
      for (let i = 0; i < d; i++) steer[i] += a * iv.add[i]
    }
    const n = Math.max(1, dirs.length)
    const directions = new Float32Array(n * d)
    dirs.forEach((v, k) => directions.set(v, k * d))
    out.set(site, { directions, nDirections: n, steer, positions })
  }
  return out
}
