// Checks of a notebook's notebook.json, after its typed arrays are restored. The envelope, provenance
// and configuration are closed (unknown keys are refused); result sections check the fields the app
// reads and their types but let other fields through, so results may gain fields without a new
// notebook version. Every failure names its path ("results.typicality[0].report.layers").
import { DTYPES } from '../model/catalog.ts'
import { HOOK_KINDS } from '../hooks/locate.ts'
import { VALUE_KINDS } from '../stimuli/types.ts'
import { POOLINGS } from '../share/link.ts'
import { anyNumber, arrayOf, bool, fail, failSaying, fields, int, nullable, oneOf, str, type Check } from '../share/check.ts'
import type {
  NotebookElicitation,
  NotebookEntanglement,
  NotebookFeatures,
  NotebookProvenance,
  NotebookResults,
  NotebookTypicalityRun,
} from './types.ts'

const OPEN = { open: true }
const MANY = 10_000_000
const COUNT = int(0, Number.MAX_SAFE_INTEGER)
const TEXT = str({ max: 1_000_000, min: 0, what: 'a string' })
const NAME = str({ max: 10_000 })
const NUM = anyNumber
const LABEL = oneOf([0, 1, null] as const)
const anyObject: Check<Record<string, unknown>> = fields({}, {}, OPEN)

/** An ISO 8601 date-time ("2026-01-05T14:03:00.000Z"). */
export const isoDateTime: Check<string> = (v, path) => {
  const s = str({ max: 40, pattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, what: 'an ISO 8601 date and time' })(v, path)
  if (Number.isNaN(Date.parse(s))) fail(path, 'an ISO 8601 date and time', s)
  return s
}

/** A Float64Array, or a plain array of numbers (from a writer that did not list it), as a Float64Array. */
const float64: Check<Float64Array> = (v, path) => {
  if (v instanceof Float64Array) return v
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float64Array.from(v)
  fail(path, 'an array of numbers', v)
}

const report = fields(
  {
    version: oneOf([1] as const),
    options: anyObject,
    counts: fields({ items: COUNT }, {}, OPEN),
    layers: arrayOf(
      fields(
        { hook: NAME, layer: COUNT, n: COUNT, width: COUNT, categorical: anyObject, gradient: anyObject, structural: anyObject, dimensional: anyObject, rsa: anyObject },
        {},
        OPEN,
      ),
      100_000,
    ),
    notes: arrayOf(TEXT, 10_000),
  },
  {},
  OPEN,
)

const typicalityRun = fields(
  {
    key: NAME,
    modelKey: NAME,
    modelLabel: NAME,
    dtype: NAME,
    device: NAME,
    randomWeights: bool,
    setId: NAME,
    setName: NAME,
    setHash: NAME,
    authoredTypicality: bool,
    hookKind: oneOf(HOOK_KINDS),
    pooling: oneOf(POOLINGS),
    createdAt: NAME,
    report,
  },
  {},
  OPEN,
) as unknown as Check<NotebookTypicalityRun>

const entanglement = fields(
  {
    probes: fields(
      {
        set: fields({ id: NAME, name: NAME, items: COUNT }, { frames: COUNT, totalFrames: COUNT }, OPEN),
        kinds: arrayOf(oneOf(VALUE_KINDS), VALUE_KINDS.length),
        behaviour: anyObject,
      },
      { embedding: anyObject, projection: anyObject },
      OPEN,
    ),
  },
  {
    modelLabel: NAME,
    randomWeights: bool,
    ablation: fields(
      { setId: NAME, layer: COUNT, hooks: arrayOf(NAME, 100_000), behaviour: anyObject, comparison: anyObject, items: arrayOf(anyObject, MANY) },
      { projection: anyObject, neutral: anyObject },
      OPEN,
    ),
  },
  OPEN,
) as unknown as Check<NotebookEntanglement>

const elicitationFields = fields(
  {
    status: oneOf(['done', 'partial'] as const),
    itemIds: arrayOf(NAME, MANY),
    itemTexts: arrayOf(TEXT, MANY),
    labels: arrayOf(LABEL, MANY),
    gold: arrayOf(LABEL, MANY),
  },
  {
    setName: NAME,
    options: anyObject,
    result: fields(
      {
        items: arrayOf(fields({ id: NAME }, {}, OPEN), MANY),
        train: arrayOf(NAME, MANY),
        test: arrayOf(NAME, MANY),
        icm: fields({ status: oneOf(['completed', 'cancelled'] as const), labels: arrayOf(LABEL, MANY) }, {}, OPEN),
        baselines: arrayOf(anyObject, 10_000),
        approximations: arrayOf(TEXT, 10_000),
        templateNote: TEXT,
      },
      { failures: arrayOf(anyObject, 100_000) },
      OPEN,
    ),
    points: arrayOf(fields({ iteration: COUNT, energy: NUM, temperature: NUM, goldAgreement: nullable(NUM), labelled: COUNT }, {}, OPEN), MANY),
    flips: arrayOf(COUNT, MANY),
    accepted: COUNT,
    rejected: COUNT,
    forwardPasses: COUNT,
    warnings: arrayOf(anyObject, 10_000),
  },
  OPEN,
)

const elicitation: Check<NotebookElicitation> = (v, path) => {
  const e = elicitationFields(v, path)
  for (const k of ['itemTexts', 'labels', 'gold'] as const)
    if (e[k].length !== e.itemIds.length) failSaying(`${path}.${k}`, `one entry per item (${e.itemIds.length}, as itemIds)`, `${e[k].length} entries`)
  return e as unknown as NotebookElicitation
}

const judgement = fields(
  {
    trialId: NAME,
    promptId: NAME,
    choice: oneOf(['left', 'right', 'tie'] as const),
    winner: oneOf(['edited', 'original', 'tie'] as const),
    left: oneOf(['edited', 'original'] as const),
    judge: oneOf(['user', 'model'] as const),
  },
  { judgeModel: NAME },
  OPEN,
)

const realignmentFields = fields(
  {
    features: arrayOf(COUNT, 100_000),
    M: float64,
    target: oneOf(['cosine', 'centred-cosine'] as const),
    lambda: NUM,
    steps: COUNT,
    bestStep: COUNT,
    stoppedEarly: bool,
    history: anyObject,
    rsa: anyObject,
    rdmLoss: anyObject,
    editNorm: anyObject,
    items: anyObject,
    notes: arrayOf(TEXT, 10_000),
  },
  {},
  OPEN,
)

const realignment: Check<ReturnType<typeof realignmentFields>> = (v, path) => {
  const r = realignmentFields(v, path)
  const s = r.features.length
  if (r.M.length !== s * s) failSaying(`${path}.M`, `${s}×${s} = ${s * s} numbers (one row per re-aligned feature)`, `${r.M.length} numbers`)
  return r
}

const features = fields(
  {},
  {
    hook: NAME,
    corpus: fields(
      { texts: COUNT, tokens: COUNT, hook: NAME, dIn: COUNT, setName: NAME, sources: arrayOf(fields({ name: NAME, passages: COUNT }, {}, OPEN), 10_000) },
      {},
      OPEN,
    ),
    backend: fields({ backend: oneOf(['webgpu', 'cpu'] as const), reason: TEXT }, {}, OPEN),
    trainRun: fields({ stepsCompleted: COUNT, steps: COUNT, cancelled: bool }, {}, OPEN),
    history: arrayOf(fields({ step: COUNT }, {}, OPEN), MANY),
    sae: fields(
      { dIn: COUNT, dSae: COUNT, architecture: NAME, activationScale: NUM, origin: oneOf(['trained', 'loaded'] as const) },
      { k: COUNT, hook: NAME, trainConfig: anyObject },
      OPEN,
    ),
    evaluation: fields(
      {
        tokens: COUNT,
        explainedVariance: NUM,
        mse: NUM,
        l0: NUM,
        density: fields({ density: float64, log10Density: float64, tokens: COUNT, histogram: anyObject }, {}, OPEN),
        split: oneOf(['held-out', 'all'] as const),
      },
      {},
      OPEN,
    ),
    splice: fields({ ceTokens: COUNT, klTokens: COUNT, ceOriginal: NUM, ceSpliced: NUM, ceAblated: NUM, ceLossScore: NUM }, { perToken: anyObject }, OPEN),
    labels: arrayOf(
      fields(
        { key: NAME, group: oneOf(['typicality', 'polarity', 'foundation', 'vector'] as const), kind: oneOf(['spearman', 'pointBiserial'] as const), n: COUNT },
        {},
        OPEN,
      ),
      100_000,
    ),
    labelledSet: fields({ name: NAME, items: COUNT, fallback: bool }, {}, OPEN),
    moral: arrayOf(fields({ feature: COUNT, axis: int(0, 9), axisName: NAME, rho: NUM, margin: NUM }, {}, OPEN), MANY),
    chosen: arrayOf(COUNT, 100_000),
    realignment,
    positions: oneOf(['all', 'last'] as const),
    editPenalty: NUM,
    diagnostics: fields({ before: report, after: report, hook: NAME }, {}, OPEN),
    behaviour: fields(
      {
        trials: arrayOf(
          fields(
            {
              trialId: NAME,
              promptId: NAME,
              prompt: TEXT,
              left: oneOf(['edited', 'original'] as const),
              right: oneOf(['edited', 'original'] as const),
              leftAnswer: TEXT,
              rightAnswer: TEXT,
            },
            {},
            OPEN,
          ),
          100_000,
        ),
        judgements: arrayOf(judgement, 100_000),
        modelJudgements: arrayOf(judgement, 100_000),
      },
      { editLabel: TEXT, prompts: COUNT, maxTokens: COUNT, temperature: NUM, seed: COUNT },
      OPEN,
    ),
    saeFilesAttached: bool,
  },
  OPEN,
) as unknown as Check<NotebookFeatures>

/** The results object: only the known sections, each checked. */
export const resultsCheck: Check<NotebookResults> = fields(
  {},
  { typicality: arrayOf(typicalityRun, 10_000), entanglement, elicitation, features },
)

const DEVICE = oneOf(['webgpu', 'wasm'] as const)

export const provenanceCheck: Check<NotebookProvenance> = fields(
  {},
  {
    model: fields(
      { sourceKey: NAME, label: NAME, kind: oneOf(['hub', 'url', 'builtin', 'local'] as const), dtype: oneOf(DTYPES), device: DEVICE, randomWeights: bool },
      { revision: NAME, deviceReason: TEXT },
    ),
    backend: fields(
      { device: DEVICE },
      { wasmThreads: int(0, 4096), gpu: fields({ vendor: str({ max: 500, min: 0 }), architecture: str({ max: 500, min: 0 }) }) },
    ),
    userAgent: str({ max: 2000 }),
  },
)

export const notesCheck: Check<string[]> = arrayOf(str({ max: 1_000_000, min: 0, what: 'a string' }), 10_000)

export const appCheck = fields({ name: NAME, version: NAME })
