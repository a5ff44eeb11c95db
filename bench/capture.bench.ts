// Capture overhead (issue 3: capturing resid_post at every layer costs at most 10% over the plain
// forward pass of the same runtime). Every variant tokenises the same texts and runs one batch;
// variants are interleaved round by round and compared pairwise within each round.
//
//   npx tsx bench/capture.bench.ts [--quick]
import { captureActivations } from '../src/core/hooks/capture.ts'
import { tensorToFloat32 } from '../src/core/model/causal-lm.ts'
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { QUICK_MODEL, REALISTIC_MODEL, cachedBuild, textsOfLength } from './lib/models.ts'
import { openBuild, ortVersions } from './lib/lab.ts'
import { interleave, judged, machineInfo, medianWall, ratio } from './lib/stats.ts'
import { isMain } from './lib/main.ts'

const TARGET = 1.1

export async function runCaptureBench(ctx: BenchContext): Promise<SectionResult> {
  const started = performance.now()
  const def = ctx.quick ? QUICK_MODEL : REALISTIC_MODEL
  const [batchSize, tokens, rounds] = ctx.quick ? [4, 16, 2] : [16, 64, 7]
  ctx.log(`capture: ${def.id} (${def.description}), batch ${batchSize} × ${tokens} tokens, ${rounds} rounds`)
  const build = cachedBuild(def)
  const plain = await openBuild(build, { instrument: false })
  const lab = await openBuild(build)
  try {
    const specials = lab.encode([' x']).ids[0].length - lab.encode([' x'], false).ids[0].length
    const texts = textsOfLength((t) => lab.encode([t], false).ids[0], batchSize, tokens - specials)
    const batch = lab.encode(texts)
    if (batch.lengths.some((n) => n !== tokens)) throw new Error(`inputs have ${batch.lengths.join(', ')} tokens, expected ${tokens}`)
    const hooks = lab.info.hooks.names.filter((n) => n.endsWith('hook_resid_post'))
    const hookOutputs = [...new Set(hooks.map((h) => lab.hookOutput(h)))]
    const timings = await interleave(
      [
        { name: 'plain', run: () => plain.nextTokenLogits(texts) },
        { name: 'instrumented', run: () => lab.nextTokenLogits(texts) },
        {
          name: 'capture+logits',
          run: async () => {
            const out = await lab.forward(lab.encode(texts), { fetch: ['logits', ...hookOutputs] })
            for (const t of Object.values(out)) {
              tensorToFloat32(t)
              t.dispose()
            }
          },
        },
        { name: 'captureActivations', run: () => captureActivations(lab, texts, { hooks: ['resid_post'], pooling: 'last', batchSize }) },
      ],
      rounds,
    )
    const [plainT, instT, capT, apiT] = timings
    const rows: ResultRow[] = []
    const add = (name: string, v: typeof capT, base: typeof capT, target: boolean, note?: string) => {
      const r = ratio(v, base)
      rows.push({
        name,
        value: r.median,
        unit: '×',
        spread: [r.min, r.max],
        ...(target ? { target: `≤ ${TARGET.toFixed(2)}×`, ok: judged(r) <= TARGET } : {}),
        cpuRatio: r.cpuMedian,
        ...(note ? { note } : {}),
      })
    }
    add('capture resid_post at every layer (+ logits) vs plain forward (non-instrumented session)', capT, plainT, true, `${hooks.length} hooks`)
    add('captureActivations(resid_post, last) vs plain forward (non-instrumented session)', apiT, plainT, true)
    add('capture resid_post (+ logits) vs the same instrumented session fetching logits only', capT, instT, false)
    add('instrumented session (no hooks fetched) vs non-instrumented session', instT, plainT, false)
    rows.push({ name: 'plain forward pass (median wall time)', value: medianWall(plainT), unit: 'ms', note: `batch ${batchSize} × ${tokens} tokens` })
    for (const r of rows) ctx.log(`  ${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.spread ? ` [${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)}]` : ''}`)
    return {
      section: 'capture',
      title: 'Capture overhead',
      setup: `${def.id} (${def.description}; fp32, seed ${def.config.seed}), batch ${batchSize} × ${tokens}-token inputs, onnxruntime-web WASM in Node (1 thread); ${rounds} interleaved rounds after one warm-up each; ratio = median of per-round ratios [min–max]`,
      quick: ctx.quick,
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: ortVersions(),
      durationS: (performance.now() - started) / 1000,
      rows,
      details: { timings },
    }
  } finally {
    await plain.dispose()
    await lab.dispose()
  }
}

if (isMain(import.meta.url)) {
  const r = await runCaptureBench({ quick: process.argv.includes('--quick'), log: (l) => console.log(l), tmp: '' })
  console.log(`done in ${r.durationS.toFixed(0)} s`)
}
