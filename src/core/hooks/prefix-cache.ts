// Reusing the KV cache of shared prompt prefixes: a prompt that starts with a cached prefix
// only runs its remaining tokens. Runs are batch-1 (GroupQueryAttention exports accept a
// multi-token continuation of a past only at batch size 1).
import type { CausalLM, KvCache } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import type { Intervention } from './interventions.ts'

interface Entry {
  ids: number[]
  cache: KvCache
  /** Next-token logits after the whole prefix. */
  lastLogits: Float32Array
  used: number
}

export interface PrefixCacheStats {
  forwardPasses: number
  tokensComputed: number
  tokensReused: number
}

export class PrefixKvCache {
  private entries: Entry[] = []
  private clock = 0
  readonly stats: PrefixCacheStats = { forwardPasses: 0, tokensComputed: 0, tokensReused: 0 }

  /**
   * Interventions apply to every position of every run, prefixes included, so a cache is only
   * valid for the interventions it was built with.
   */
  constructor(
    private readonly model: CausalLM,
    private readonly opts: { maxEntries?: number; interventions?: Intervention[] } = {},
  ) {}

  private longestPrefix(ids: number[]): Entry | undefined {
    let best: Entry | undefined
    for (const e of this.entries) {
      if (e.ids.length > ids.length || (best && e.ids.length <= best.ids.length)) continue
      let ok = true
      for (let i = 0; i < e.ids.length; i++)
        if (e.ids[i] !== ids[i]) {
          ok = false
          break
        }
      if (ok) best = e
    }
    return best
  }

  private async run(ids: number[], from: Entry | undefined): Promise<{ cache: KvCache; lastLogits: Float32Array }> {
    const start = from?.ids.length ?? 0
    const chunk = ids.slice(start)
    const out = await this.model.forward(
      { ids: [chunk], lengths: [chunk.length], maxLen: chunk.length },
      { fetch: ['logits', ...this.model.presentNames], past: from?.cache, interventions: this.opts.interventions },
    )
    this.stats.forwardPasses++
    this.stats.tokensComputed += chunk.length
    this.stats.tokensReused += start
    const logits = tensorToFloat32(out.logits)
    const V = (out.logits.dims as number[])[2]
    const lastLogits = logits.slice((chunk.length - 1) * V, chunk.length * V)
    out.logits.dispose()
    return { cache: this.model.cacheFrom(out, ids.length), lastLogits }
  }

  /** Computes and keeps the KV cache of a prefix. */
  async prefill(ids: number[]): Promise<void> {
    if (ids.length === 0) throw new Error('empty prefix')
    const hit = this.longestPrefix(ids)
    if (hit && hit.ids.length === ids.length) {
      hit.used = ++this.clock
      return
    }
    const { cache, lastLogits } = await this.run(ids, hit)
    this.remember({ ids: [...ids], cache, lastLogits, used: ++this.clock })
  }

  private remember(e: Entry) {
    this.entries.push(e)
    const max = this.opts.maxEntries ?? 4
    while (this.entries.length > max) {
      const oldest = this.entries.reduce((a, b) => (a.used <= b.used ? a : b))
      this.entries = this.entries.filter((x) => x !== oldest)
      for (const t of Object.values(oldest.cache.tensors)) t.dispose()
    }
  }

  /** Next-token logits after `ids`, running only what no cached prefix covers. */
  async nextTokenLogits(ids: number[], opts: { remember?: boolean } = {}): Promise<Float32Array> {
    if (ids.length === 0) throw new Error('empty prompt')
    const hit = this.longestPrefix(ids)
    if (hit) hit.used = ++this.clock
    if (hit && hit.ids.length === ids.length) {
      this.stats.tokensReused += ids.length
      return hit.lastLogits
    }
    const { cache, lastLogits } = await this.run(ids, hit)
    if (opts.remember) this.remember({ ids: [...ids], cache, lastLogits, used: ++this.clock })
    else for (const t of Object.values(cache.tensors)) t.dispose()
    return lastLogits
  }

  dispose(): void {
    for (const e of this.entries) for (const t of Object.values(e.cache.tensors)) t.dispose()
    this.entries = []
  }
}
