// A notebook filled with results computed by the real analyses on small synthetic data (typicality
// diagnostics, an ICM run with a stub scorer, an SAE's evaluation, splice metrics and re-alignment),
// plus a hand-made entanglement section (its probes need a language model).
import { Rng } from '../../../src/core/random.ts'
import { computeTypicalityDiagnostics } from '../../../src/core/typicality/diagnostics.ts'
import { MORAL_CLAIMS_SET, MORAL_TYPICALITY_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import { runElicitation } from '../../../src/core/icm/session.ts'
import { createSae, encode } from '../../../src/core/sae/model.ts'
import { evaluateSaeReconstruction, evaluateSplice } from '../../../src/core/sae/evaluation.ts'
import { fitRealignment } from '../../../src/core/sae/realign.ts'
import { saveSaeLens } from '../../../src/core/sae/saelens.ts'
import { createPairwiseTrials, recordJudgement } from '../../../src/core/sae/behaviour.ts'
import type { EntanglementProbes } from '../../../src/core/entanglement/session.ts'
import type { AblationResult } from '../../../src/core/entanglement/ablation.ts'
import { createNotebook, saeAttachments, type Notebook, type NotebookAttachments } from '../../../src/core/notebook/notebook.ts'
import { stubScorer } from '../icm/stub.ts'

async function typicalityReport(seed: number) {
  const rng = new Rng(seed)
  const items = MORAL_TYPICALITY_SET.items.slice(0, 120)
  const cols = 8
  const layers = [0, 1].map((layer) => ({
    hook: `blocks.${layer}.hook_resid_post`,
    layer,
    acts: { rows: items.length, cols, data: Float32Array.from({ length: items.length * cols }, () => rng.normal()) },
  }))
  return computeTypicalityDiagnostics(layers, items, { seed, bootstrap: 10, pcaDims: 4, folds: 3, kmeansRestarts: 2 })
}

async function featureResults() {
  const rng = new Rng(9)
  const dIn = 6
  const dSae = 12
  const sae = createSae({ architecture: 'topk', k: 3, decoderInitNorm: 1, normalizeDecoder: true, dIn, dSae, hookName: 'blocks.1.hook_resid_post' }, rng)
  const x = Float32Array.from({ length: 80 * dIn }, () => rng.normal())
  const evaluation = await evaluateSaeReconstruction(sae, x)
  const vocab = 5
  const positions = 6
  const logits = () => Float32Array.from({ length: positions * vocab }, () => rng.normal())
  const splice = evaluateSplice({ tokenIds: [0, 3, 2, 4, 1, 2], offsets: [0, 3, 6], vocabSize: vocab, original: logits(), spliced: logits(), ablated: logits() })
  const n = 24
  const h = Float32Array.from({ length: n * dIn }, () => rng.normal())
  const z = encode(sae, h)
  const moralVectors = Array.from({ length: n }, (_, i) => Array.from({ length: 10 }, (_, a) => (a === i % 10 ? 1 : 0)))
  const features = [0, 3, 5]
  const realignment = await fitRealignment({ features, z, h, sae, moralVectors }, { maxSteps: 20, validationFraction: 0 })
  const trials = createPairwiseTrials(
    [
      { promptId: 'p1', prompt: 'Is it fine to lie to a friend?', edited: 'No.', original: 'Sometimes "white lies" help.' },
      { promptId: 'p2', prompt: 'Should I return a lost wallet?', edited: 'Yes, always.', original: 'Yes.' },
    ],
    1,
  )
  const files = saveSaeLens(sae)
  return { sae, evaluation, splice, realignment, trials, files }
}

export async function sampleNotebook(): Promise<{ notebook: Notebook; attachments: NotebookAttachments }> {
  const [before, after, f] = await Promise.all([typicalityReport(1), typicalityReport(2), featureResults()])
  const claims = MORAL_CLAIMS_SET
  const scorer = stubScorer((r) => (/wrong|not/i.test(r.target) ? -1 : 1))
  const result = await runElicitation(claims, scorer, { seed: 3, iterations: 20, maxDemonstrations: 4, demoSelection: 'shared', baselines: false })
  const byId = new Map(claims.items.map((i) => [i.id, i]))
  const probes = {
    set: { id: 'builtin:value-entanglement', name: 'Value entanglement', items: 48, frames: 4, totalFrames: 12 },
    kinds: ['moral', 'grammatical', 'economic'],
    behaviour: { setId: 'builtin:value-entanglement', items: [{ id: 'f1', ratings: { moral: { expected: 5.5 } } }], regressions: {}, warnings: [] },
    projection: { bestLayer: 1, layers: [0, 1], moral: { pearson: [0.2, NaN] } },
  } as unknown as EntanglementProbes
  const ablation = {
    setId: 'builtin:value-entanglement',
    layer: 1,
    layerReason: 'best cross-fitted d',
    hooks: ['blocks.1.hook_resid_post'],
    direction: { norm: 3.2 },
    randomDirection: { seed: 0, norm: 3.2, cosineWithMoral: 0.01 },
    behaviour: { before: {}, after: {}, random: {} },
    comparison: { entanglement: [] },
    items: [{ id: 'f1', text: 'He paid for the "cheap" pen.', values: { moral: 1 }, before: {}, after: {}, random: {}, delta: { moral: -Infinity }, deltaRandom: {}, maxAbsDelta: Infinity }],
    cost: { projectionForwardPasses: 4 },
  } as unknown as AblationResult

  const notebook = createNotebook({
    createdAt: new Date(Date.UTC(2026, 0, 5, 14, 3, 7)),
    app: { version: '0.1.0' },
    provenance: {
      model: { sourceKey: 'builtin:tiny-llama-instruct', label: 'built-in tiny-llama-instruct', kind: 'builtin', dtype: 'fp32', device: 'wasm', deviceReason: 'no GPU', randomWeights: true },
      backend: { device: 'wasm', wasmThreads: 4 },
      userAgent: 'vitest',
    },
    config: {
      v: 1,
      panel: 'features',
      model: { source: { kind: 'builtin', id: 'tiny-llama-instruct' }, dtype: 'fp32', device: 'wasm' },
      set: { kind: 'builtin', id: 'builtin:moral-typicality' },
      typicality: { hookKind: 'resid_post', pooling: 'last', seed: 1, bootstrap: 10, pcaDims: 4 },
      elicitation: { options: { seed: 3, iterations: 20 }, scorer: { kind: 'remote', baseUrl: 'http://localhost:8000', model: 'judge' } },
      features: { layer: 1, hookKind: 'resid_post', corpusSetIds: ['builtin:moral-claims'], trainConfig: { k: 3, steps: 10 } },
    },
    results: {
      typicality: [
        {
          key: 'k1',
          modelKey: 'builtin:tiny-llama-instruct|fp32',
          modelLabel: 'built-in tiny-llama-instruct',
          dtype: 'fp32',
          device: 'wasm',
          randomWeights: true,
          setId: MORAL_TYPICALITY_SET.id,
          setName: MORAL_TYPICALITY_SET.name,
          setHash: stimulusSetHash(MORAL_TYPICALITY_SET),
          authoredTypicality: true,
          hookKind: 'resid_post',
          pooling: 'last',
          createdAt: '2026-01-05T14:00:00.000Z',
          report: before,
        },
      ],
      entanglement: { modelLabel: 'built-in tiny-llama-instruct', randomWeights: true, probes, ablation },
      elicitation: {
        setName: claims.name,
        status: 'done',
        options: { seed: 3, iterations: 20 },
        result,
        itemIds: result.train,
        itemTexts: result.train.map((id) => byId.get(id)?.text ?? id),
        labels: result.icm.labels,
        gold: result.train.map((id) => byId.get(id)?.gold ?? null),
        points: [
          { iteration: 1, energy: -3.5, temperature: 10, goldAgreement: null, labelled: 8 },
          { iteration: 2, energy: NaN, temperature: 9.1, goldAgreement: 0.75, labelled: 9 },
        ],
        accepted: 1,
        rejected: 1,
      },
      features: {
        hook: 'blocks.1.hook_resid_post',
        sae: { dIn: 6, dSae: 12, architecture: 'topk', k: 3, hook: 'blocks.1.hook_resid_post', activationScale: 1, origin: 'trained' },
        evaluation: { ...f.evaluation, split: 'held-out' },
        splice: f.splice,
        moral: [{ feature: 3, axis: 1, axisName: 'care.vice', rho: 0.61, margin: 0.2 }],
        chosen: [0, 3, 5],
        realignment: f.realignment,
        positions: 'all',
        editPenalty: 0.1,
        diagnostics: { before, after, hook: 'blocks.1.hook_resid_post' },
        behaviour: {
          editLabel: 're-alignment of 3 features (every token)',
          trials: f.trials,
          judgements: [recordJudgement(f.trials[0], 'left', 'user')],
          modelJudgements: [recordJudgement(f.trials[1], 'tie', 'model', 'built-in tiny-llama-instruct')],
        },
        saeFilesAttached: true,
      },
    },
    notes: ['Vice categories graded better than virtue ones, as in the paper.', 'NaN', 'Infinity'],
  })
  return { notebook, attachments: saeAttachments(f.files) }
}
