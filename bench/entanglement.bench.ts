// Behavioural probe of issue 6: the value-entanglement rating prompts scored with KV-cache reuse of
// shared prefixes vs scoring every prompt from scratch, on a generated instruct model of realistic
// shape (width 512, 8 layers, GQA, ChatML template; random weights). Target: ≥ 2× (issue 6).
// Variants are interleaved round by round; the speed-up is the median of per-round ratios.
//
//   npx tsx bench/entanglement.bench.ts [--quick] [--frames 2] [--rounds 2]
import { runBehaviouralProbe, type BehaviourOptions, type BehaviourResult } from '../src/core/entanglement/behaviour.ts'
import type { CausalLM } from '../src/core/model/causal-lm.ts'
import { ENTANGLEMENT_FRAMES, VALUE_ENTANGLEMENT_SET, buildValueEntanglementItems } from '../src/core/stimuli/builtin/value-entanglement.ts'
import type { StimulusSet } from '../src/core/stimuli/types.ts'
import type { TinyModelBuild, TinyModelDefinition } from '../src/core/testmodels/package.ts'
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { QUICK_MODEL, REALISTIC_MODEL, cachedBuild } from './lib/models.ts'
import { openBuild, ortVersions } from './lib/lab.ts'
import { interleave, machineInfo, median, minMax, type VariantTimings } from './lib/stats.ts'
import { isMain } from './lib/main.ts'

export const ENTANGLEMENT_TARGET = 2

const instruct = (def: TinyModelDefinition): TinyModelDefinition => ({
  ...def,
  id: `${def.id}-instruct`,
  title: `${def.title} (ChatML instruct)`,
  description: `${def.description}, ChatML chat template`,
  instruct: true,
})

/**
 * The built-in chat questions with the instructions moved before the sentence, so that only the
 * sentence and "Answer:" follow it. Recorded to show how much of the speed-up the prompt layout
 * decides; the lab scores the set's own prompts.
 */
export const QUESTION_FIRST_PROMPTS: Record<string, string> = {
  moral:
    'How morally good is the act described in this sentence? Answer with a number from 1 (very bad) to 7 (very good). ' +
    'Sentence: "{text}" Answer:',
  grammatical:
    'How grammatically acceptable is this sentence? Answer with a number from 1 (completely unacceptable) to 7 ' +
    '(perfectly acceptable). Sentence: "{text}" Answer:',
  economic:
    'How valuable in money is the object mentioned in this sentence? Answer with a number from 1 (almost worthless) to 7 ' +
    '(extremely valuable). Sentence: "{text}" Answer:',
}

/** SmolLM2-Instruct's template (the lab's default model): ChatML plus a default system turn. */
export const SMOLLM2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

/** The same model files with another chat template in tokenizer_config.json. */
function withChatTemplate(build: TinyModelBuild, template: string): TinyModelBuild {
  const files = new Map(build.files)
  const config = JSON.parse(new TextDecoder().decode(files.get('tokenizer_config.json')!))
  files.set('tokenizer_config.json', new TextEncoder().encode(JSON.stringify({ ...config, chat_template: template })))
  return { ...build, definition: { ...build.definition, id: `${build.definition.id}-smollm2-template` }, files }
}

function maxRatingGap(a: BehaviourResult, b: BehaviourResult): number {
  let m = 0
  a.items.forEach((it, i) => {
    for (const k of a.kinds) m = Math.max(m, Math.abs(it.ratings[k]!.expected - b.items[i].ratings[k]!.expected))
  })
  return m
}

export interface EntanglementBenchOptions {
  frames?: number
  rounds?: number
}

export async function runEntanglementBench(ctx: BenchContext, opts: EntanglementBenchOptions = {}): Promise<SectionResult> {
  const started = performance.now()
  const def = instruct(ctx.quick ? QUICK_MODEL : REALISTIC_MODEL)
  const frames = opts.frames ?? (ctx.quick ? 1 : 2)
  const rounds = opts.rounds ?? (ctx.quick ? 1 : 2)
  const set: StimulusSet = { ...VALUE_ENTANGLEMENT_SET, items: buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, frames)) }
  const questionFirst: StimulusSet = { ...set, id: 'bench:question-first', prompts: QUESTION_FIRST_PROMPTS }
  const prompts = set.items.length * 3
  ctx.log(`entanglement: ${def.id} (${def.description}), ${set.items.length} items × 3 kinds = ${prompts} prompts, ${rounds} rounds`)
  const model: CausalLM = await openBuild(cachedBuild(def))
  const smol: CausalLM = await openBuild(withChatTemplate(cachedBuild(def), SMOLLM2_CHAT_TEMPLATE))
  try {
    const last = new Map<string, BehaviourResult>()
    const variant = (name: string, s: StimulusSet, o: BehaviourOptions, m = model) => ({
      name,
      run: async () => last.set(name, await runBehaviouralProbe(m, s, o)),
    })
    const variants = [
      variant('scratch, batches of 8', set, { usePrefixCache: false, batchSize: 8 }),
      variant('scratch, one prompt at a time', set, { usePrefixCache: false, batchSize: 1 }),
      variant('prefix cache, prompt prefix only', set, { sharing: 'prompt' }),
      variant('prefix cache, prefix tree (default)', set, { sharing: 'tree' }),
      variant('question-first prompts, scratch, batches of 8', questionFirst, { usePrefixCache: false, batchSize: 8 }),
      variant('question-first prompts, prefix tree', questionFirst, { sharing: 'tree' }),
      variant('SmolLM2 chat template, scratch, batches of 8', set, { usePrefixCache: false, batchSize: 8 }, smol),
      variant('SmolLM2 chat template, prefix tree', set, { sharing: 'tree' }, smol),
    ]
    const timings = await interleave(variants, rounds)
    const byName = new Map(timings.map((t) => [t.name, t]))
    const speedup = (baseline: string, fast: string) => {
      const b = byName.get(baseline)!
      const f = byName.get(fast)!
      const wall = b.runs.map((t, i) => t.wallMs / f.runs[i].wallMs)
      const cpu = b.runs.map((t, i) => t.cpuMs / f.runs[i].cpuMs).filter(Number.isFinite)
      return { median: median(wall), spread: minMax(wall), cpu: cpu.length ? median(cpu) : NaN }
    }
    const rows: ResultRow[] = []
    const add = (name: string, baseline: string, fast: string, target: boolean, note?: string) => {
      const s = speedup(baseline, fast)
      rows.push({
        name,
        value: s.median,
        unit: '×',
        spread: s.spread,
        cpuRatio: s.cpu,
        ...(target ? { target: `≥ ${ENTANGLEMENT_TARGET.toFixed(1)}×`, ok: s.median >= ENTANGLEMENT_TARGET } : {}),
        ...(note ? { note } : {}),
      })
    }
    const cost = (name: string) => last.get(name)!.cost
    const tokensNote = (name: string) => {
      const c = cost(name)
      return `${c.tokensComputed} of ${c.promptTokens} prompt tokens computed (${(c.promptTokens / c.tokensComputed).toFixed(2)}× fewer), ${c.forwardPasses} forward passes`
    }
    add('behavioural probe: prefix tree vs scratch in batches of 8', 'scratch, batches of 8', 'prefix cache, prefix tree (default)', true, tokensNote('prefix cache, prefix tree (default)'))
    add('behavioural probe: prefix tree vs scratch one prompt at a time', 'scratch, one prompt at a time', 'prefix cache, prefix tree (default)', false)
    add('behavioural probe: prompt prefix only vs scratch in batches of 8', 'scratch, batches of 8', 'prefix cache, prompt prefix only', false, tokensNote('prefix cache, prompt prefix only'))
    add(
      'question-first prompt layout: prefix tree vs scratch in batches of 8 (recorded)',
      'question-first prompts, scratch, batches of 8',
      'question-first prompts, prefix tree',
      false,
      tokensNote('question-first prompts, prefix tree'),
    )
    add(
      "SmolLM2-Instruct's chat template (default system turn): prefix tree vs scratch in batches of 8 (recorded)",
      'SmolLM2 chat template, scratch, batches of 8',
      'SmolLM2 chat template, prefix tree',
      false,
      tokensNote('SmolLM2 chat template, prefix tree'),
    )
    const gap = maxRatingGap(last.get('prefix cache, prefix tree (default)')!, last.get('scratch, batches of 8')!)
    rows.push({ name: 'max |ΔE[r]| prefix tree vs scratch', value: gap, unit: 'points', target: '≤ 1e-4', ok: gap <= 1e-4 })
    const medianOf = (v: VariantTimings) => median(v.runs.map((t) => t.wallMs))
    rows.push({ name: 'scratch in batches of 8 (median wall time)', value: medianOf(byName.get('scratch, batches of 8')!), unit: 'ms', note: `${prompts} prompts` })
    for (const r of rows)
      ctx.log(
        `  ${r.name}: ${r.unit === 'points' ? r.value.toExponential(1) : r.value.toFixed(2)} ${r.unit}` +
          `${r.spread ? ` [${r.spread[0].toFixed(2)}–${r.spread[1].toFixed(2)}]` : ''}${r.cpuRatio !== undefined ? ` (CPU ${r.cpuRatio.toFixed(2)}×)` : ''}` +
          `${r.target ? ` target ${r.target} ${r.ok ? 'ok' : 'MISSED'}` : ''}${r.note ? ` — ${r.note}` : ''}`,
      )
    return {
      section: 'entanglement',
      title: 'Value-entanglement behavioural probe',
      setup:
        `${def.id} (${def.description}; fp32, seed ${def.config.seed}), built-in value-entanglement set, ${frames} frame(s) = ${set.items.length} items × 3 kinds, ` +
        `chat prompts; onnxruntime-web WASM in Node (1 thread); ${rounds} interleaved rounds after one warm-up each; speed-up = median of per-round ratios [min–max]`,
      quick: ctx.quick,
      date: new Date().toISOString(),
      machine: machineInfo(),
      versions: ortVersions(),
      durationS: (performance.now() - started) / 1000,
      rows,
      details: { timings, costs: Object.fromEntries([...last].map(([k, v]) => [k, v.cost])) },
    }
  } finally {
    await model.dispose()
    await smol.dispose()
  }
}

if (isMain(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i >= 0 ? Number(process.argv[i + 1]) : undefined
  }
  const r = await runEntanglementBench(
    { quick: process.argv.includes('--quick'), log: (l) => console.log(l), tmp: '' },
    { frames: arg('frames'), rounds: arg('rounds') },
  )
  console.log(`done in ${r.durationS.toFixed(0)} s`)
}
