// The lab's own machinery against onnxruntime called directly (issue 3: at most 5% over
// onnxruntime-web on the same graph), and onnxruntime-web against onnxruntime-node (native CPU) on
// the same graph (recorded, not a target).
//
//   npx tsx bench/machinery.bench.ts [--quick] [--only machinery|native]
import * as ortNode from 'onnxruntime-node'
import type { CausalLM, OrtTensor } from '../src/core/model/causal-lm.ts'
import type { TinyLmConfig } from '../src/core/testmodels/spec.ts'
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { QUICK_MODEL, REALISTIC_MODEL, cachedBuild, textsOfLength } from './lib/models.ts'
import { openBuild, ort, ortVersions } from './lib/lab.ts'
import { interleave, judged, machineInfo, medianWall, ratio } from './lib/stats.ts'
import { isMain } from './lib/main.ts'

const TARGET = 1.05

type TensorCtor = new (type: 'int64' | 'float32' | 'bool', data: BigInt64Array | Float32Array | Uint8Array, dims: number[]) => unknown

/**
 * Feeds written by hand from the graph's input names and the model's config, without the lab's
 * feed builder: token ids, an all-ones mask, positions 0..T−1, empty pasts and, for the lab's
 * instrumented graph, zero intervention inputs (no residual edit active).
 */
function handFeeds(Tensor: TensorCtor, inputNames: readonly string[], cfg: TinyLmConfig, ids: number[][]): Record<string, unknown> {
  const B = ids.length
  const T = ids[0].length
  const feeds: Record<string, unknown> = {}
  for (const name of inputNames) {
    if (name === 'input_ids') feeds[name] = new Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), [B, T])
    else if (name === 'attention_mask') feeds[name] = new Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T])
    else if (name === 'position_ids') feeds[name] = new Tensor('int64', BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T)), [B, T])
    else if (/^past_key_values\.\d+\.(key|value)$/.test(name)) feeds[name] = new Tensor('float32', new Float32Array(0), [B, cfg.nKvHeads, 0, cfg.dHead])
    else if (/\.directions$/.test(name)) feeds[name] = new Tensor('float32', new Float32Array(cfg.dModel), [1, cfg.dModel])
    else if (/\.steer$/.test(name)) feeds[name] = new Tensor('float32', new Float32Array(cfg.dModel), [cfg.dModel])
    else if (/\.mask$/.test(name)) feeds[name] = new Tensor('float32', new Float32Array(B * T), [B, T, 1])
    else if (/\.delta$/.test(name)) feeds[name] = new Tensor('float32', new Float32Array(cfg.dModel), [1, 1, cfg.dModel])
    else if (/\.active$/.test(name)) feeds[name] = new Tensor('bool', Uint8Array.of(0), [])
    else throw new Error(`no hand-built feed for input "${name}"`)
  }
  return feeds
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

function setupFor(ctx: BenchContext) {
  const def = ctx.quick ? QUICK_MODEL : REALISTIC_MODEL
  const [batchSize, tokens, rounds] = ctx.quick ? [4, 16, 2] : [16, 64, 7]
  return { def, batchSize, tokens, rounds, build: cachedBuild(def) }
}

function inputsFor(model: CausalLM, batchSize: number, tokens: number) {
  const specials = model.encode([' x']).ids[0].length - model.encode([' x'], false).ids[0].length
  const texts = textsOfLength((t) => model.encode([t], false).ids[0], batchSize, tokens - specials)
  const batch = model.encode(texts)
  if (batch.lengths.some((n) => n !== tokens)) throw new Error(`inputs have ${batch.lengths.join(', ')} tokens, expected ${tokens}`)
  return { texts, batch }
}

export async function runMachineryBench(ctx: BenchContext): Promise<SectionResult> {
  const started = performance.now()
  const { def, batchSize, tokens, rounds, build } = setupFor(ctx)
  ctx.log(`machinery: ${def.id}, batch ${batchSize} × ${tokens} tokens, ${rounds} rounds`)
  const model = await openBuild(build)
  try {
    const { texts, batch } = inputsFor(model, batchSize, tokens)
    const session = model.session
    const feeds = handFeeds(ort.Tensor as unknown as TensorCtor, session.inputNames, build.config, batch.ids) as Record<string, OrtTensor>
    const V = build.config.vocabSize
    const lastLogits = (t: OrtTensor) => {
      const all = t.data as Float32Array
      const out = new Float32Array(batchSize * V)
      for (let b = 0; b < batchSize; b++) out.set(all.subarray(((b + 1) * tokens - 1) * V, (b + 1) * tokens * V), b * V)
      return out
    }
    // The same numbers both ways, or the comparison means nothing.
    const direct = await session.run(feeds, ['logits'])
    const viaLab = await model.nextTokenLogits(texts)
    const identical = maxAbsDiff(lastLogits(direct.logits), viaLab.logits) === 0
    direct.logits.dispose()
    if (!identical) throw new Error('the lab and the direct session.run gave different logits')
    const timings = await interleave(
      [
        {
          name: 'session.run',
          run: async () => {
            const out = await session.run(feeds, ['logits'])
            lastLogits(out.logits)
            out.logits.dispose()
          },
        },
        { name: 'nextTokenLogits', run: () => model.nextTokenLogits(texts) },
        {
          name: 'forward',
          run: async () => {
            const out = await model.forward(batch, { fetch: ['logits'] })
            out.logits.dispose()
          },
        },
      ],
      rounds,
    )
    const [runT, ntlT, fwdT] = timings
    const rows: ResultRow[] = []
    for (const [name, v] of [
      ['CausalLM.nextTokenLogits (tokenise, feeds, run, last-token logits) vs session.run with hand-built feeds', ntlT],
      ['CausalLM.forward (pre-tokenised batch) vs session.run with hand-built feeds', fwdT],
    ] as const) {
      const r = ratio(v, runT)
      rows.push({
        name,
        value: r.median,
        unit: '×',
        spread: [r.min, r.max],
        target: `≤ ${TARGET.toFixed(2)}×`,
        ok: judged(r) <= TARGET,
        cpuRatio: r.cpuMedian,
        note: 'same instrumented session, bit-identical logits',
      })
    }
    rows.push({ name: 'session.run (median wall time)', value: medianWall(runT), unit: 'ms', note: `batch ${batchSize} × ${tokens} tokens` })
    for (const r of rows) ctx.log(`  ${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.spread ? ` [${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)}]` : ''}`)
    return {
      section: 'machinery',
      title: 'The lab’s machinery vs onnxruntime-web called directly',
      setup: `${def.id} (${def.description}), instrumented graph as the lab runs it, batch ${batchSize} × ${tokens} tokens, onnxruntime-web WASM in Node (1 thread); ${rounds} interleaved rounds`,
      quick: ctx.quick,
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: ortVersions(),
      durationS: (performance.now() - started) / 1000,
      rows,
      details: { timings },
    }
  } finally {
    await model.dispose()
  }
}

export async function runNativeBench(ctx: BenchContext): Promise<SectionResult> {
  const started = performance.now()
  const { def, batchSize, tokens, build } = setupFor(ctx)
  // Recorded, not a target: fewer rounds keep the full run short.
  const rounds = ctx.quick ? 2 : 5
  ctx.log(`native: ${def.id}, onnxruntime-web (WASM) vs onnxruntime-node (CPU), batch ${batchSize} × ${tokens} tokens, ${rounds} rounds`)
  // The exported graph itself (no lab instrumentation), opened by both runtimes with the same options.
  const bytes = build.files.get('onnx/model.onnx')!
  const options = { graphOptimizationLevel: 'all' as const }
  ort.env.logLevel = 'error'
  const web = await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['wasm'] })
  const native1 = await ortNode.InferenceSession.create(bytes, { ...options, executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 })
  const nativeAll = await ortNode.InferenceSession.create(bytes, { ...options, executionProviders: ['cpu'] })
  try {
    const tokenizerModel = await openBuild(build, { instrument: false })
    const { batch } = inputsFor(tokenizerModel, batchSize, tokens)
    await tokenizerModel.dispose()
    const webFeeds = handFeeds(ort.Tensor as unknown as TensorCtor, web.inputNames, build.config, batch.ids) as Record<string, OrtTensor>
    const nodeFeeds = handFeeds(ortNode.Tensor as unknown as TensorCtor, native1.inputNames, build.config, batch.ids) as Record<string, ortNode.Tensor>
    const a = (await web.run(webFeeds, ['logits'])).logits.data as Float32Array
    const b = (await native1.run(nodeFeeds, ['logits'])).logits.data as Float32Array
    const agreement = maxAbsDiff(a, b)
    if (!(agreement < 1e-3)) throw new Error(`onnxruntime-web and onnxruntime-node disagree by ${agreement} on the logits`)
    const timings = await interleave(
      [
        { name: 'onnxruntime-web (WASM, 1 thread)', run: () => web.run(webFeeds, ['logits']) },
        { name: 'onnxruntime-node (CPU, 1 thread)', run: () => native1.run(nodeFeeds, ['logits']) },
        { name: `onnxruntime-node (CPU, default threads)`, run: () => nativeAll.run(nodeFeeds, ['logits']) },
      ],
      rounds,
    )
    const [webT, n1T, nAllT] = timings
    const rows: ResultRow[] = []
    for (const [name, v] of [
      ['onnxruntime-web WASM speed relative to onnxruntime-node, both 1 thread (native time / WASM time)', n1T],
      ['onnxruntime-web WASM (1 thread) speed relative to onnxruntime-node with its default threads', nAllT],
    ] as const) {
      const r = ratio(v, webT, 'process')
      rows.push({ name, value: r.median, unit: '×', spread: [r.min, r.max], cpuRatio: r.cpuMedian, note: 'recorded, not a target; CPU ratio from process CPU time' })
    }
    rows.push({ name: 'onnxruntime-web forward (median wall time)', value: medianWall(webT), unit: 'ms' })
    rows.push({ name: 'onnxruntime-node forward, 1 thread (median wall time)', value: medianWall(n1T), unit: 'ms' })
    for (const r of rows) ctx.log(`  ${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.spread ? ` [${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)}]` : ''}`)
    return {
      section: 'native',
      title: 'onnxruntime-web (WASM) vs onnxruntime-node (native CPU)',
      setup: `${def.id} (${def.description}), the exported graph (no instrumentation), batch ${batchSize} × ${tokens} tokens, graphOptimizationLevel all; logits agree within ${agreement.toExponential(1)}; ${rounds} interleaved rounds`,
      quick: ctx.quick,
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: { ...ortVersions(), 'onnxruntime-node': ortNode.env.versions?.node ?? 'unknown' },
      durationS: (performance.now() - started) / 1000,
      rows,
      details: { timings, maxAbsDiffLogits: agreement },
    }
  } finally {
    await web.release()
    await native1.release()
    await nativeAll.release()
  }
}

if (isMain(import.meta.url)) {
  const ctx = { quick: process.argv.includes('--quick'), log: (l: string) => console.log(l), tmp: '' }
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : 'machinery,native'
  if (only.includes('machinery')) await runMachineryBench(ctx)
  if (only.includes('native')) await runNativeBench(ctx)
}
