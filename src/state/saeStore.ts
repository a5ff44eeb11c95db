// The Features (SAE) panel: the model worker captures and runs edits, the SAE worker trains and
// browses, the analysis worker re-runs the typicality diagnostics. This store only dispatches and
// keeps what came back.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink, modelWorker } from './modelWorker.ts'
import { saeWorker } from './saeWorker.ts'
import { analysisWorker } from './analysisWorker.ts'
import { jobsStore } from './jobs.ts'
import { modelStore } from './modelStore.ts'
import { stimuliStore } from './stimuliStore.ts'
import { typicalitySet } from './typicalityStore.ts'
import { buildSaeCorpus } from '../core/sae/corpus.ts'
import type { CorpusSummary, FeatureDetail, SaeBackendChoice, SaeBackendPreference, SaeSummary, TextFeatureReading } from '../core/sae/lab.ts'
import type { SaeStepMetrics } from '../core/sae/train.ts'
import type { SaeTrainConfig } from '../core/sae/types.ts'
import type { Histogram } from '../core/sae/metrics.ts'
import type { ReconstructionEvaluation, SpliceEvaluation } from '../core/sae/evaluation.ts'
import type { FeatureSortKey, FeatureTableRow, MoralFeature, MoralLabel } from '../core/sae/labels.ts'
import type { RealignmentResult } from '../core/sae/realign.ts'
import type { FeatureLogitEffects } from '../core/sae/in-model.ts'
import type { SaeEditSpec } from '../core/sae/edits.ts'
import {
  ADVERSARIAL_MORAL_PROMPTS,
  buildJudgePrompt,
  combineSwappedVerdicts,
  createPairwiseTrials,
  parseJudgeVerdict,
  recordJudgement,
  type PairwiseChoice,
  type PairwiseJudgement,
  type PairwiseTrial,
} from '../core/sae/behaviour.ts'
import type { TypicalityReport } from '../core/typicality/diagnostics.ts'
import type { HookKind } from '../core/hooks/locate.ts'
import type { StimulusSet } from '../core/stimuli/types.ts'
import { SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME, type SaeLensFiles } from '../core/sae/saelens.ts'

export type SaeStep = 'collect' | 'train' | 'evaluate' | 'stats' | 'labels' | 'realign' | 'diagnostics' | 'answers' | 'judge' | 'load'

export interface FeatureQueryUI {
  sort: FeatureSortKey
  order: 'asc' | 'desc'
  text: string
  axis: string
  minDensity: number
  page: number
}

export interface BehaviourState {
  prompts: number
  maxTokens: number
  edit: 'realign' | 'steer'
  steerFeature: number | null
  steerAlpha: number
  /** 0 = greedy; otherwise sampled with the same seed for both arms, so only the edit differs. */
  temperature: number
  seed: number
  trials: PairwiseTrial[]
  judgements: PairwiseJudgement[]
  modelJudgements: PairwiseJudgement[]
  /** The model has judged these trials (its verdicts may all have been inconsistent or unparseable). */
  modelJudged: boolean
  editLabel?: string
}

export interface SaeState {
  corpusSetIds: string[]
  extraText: string
  extraSource?: string
  hookKind: HookKind
  layer: number | null
  corpus?: CorpusSummary & { setName: string; sources: { name: string; passages: number }[]; reused: boolean; modelKey: string }
  config: Partial<SaeTrainConfig>
  backendPref: SaeBackendPreference
  backend?: SaeBackendChoice
  history: SaeStepMetrics[]
  densityHistogram?: Histogram
  paused: boolean
  trainRun?: { stepsCompleted: number; steps: number; cancelled: boolean }
  sae?: SaeSummary
  evaluation?: ReconstructionEvaluation & { split: 'held-out' | 'all' }
  splice?: SpliceEvaluation
  statsReady: boolean
  labels?: MoralLabel[]
  labelledSet?: { name: string; items: number; fallback: boolean }
  query: FeatureQueryUI
  page?: { total: number; rows: FeatureTableRow[] }
  selected?: number
  detail?: FeatureDetail
  logits?: FeatureLogitEffects
  testText: string
  textReading?: TextFeatureReading
  selection: { minRho: number; minMargin: number; maxFeatures: number }
  moral?: MoralFeature[]
  chosen: number[]
  realignment?: RealignmentResult
  positions: 'all' | 'last'
  /** λ relative to the activations' spread: how strongly the fit keeps the edit small. */
  editPenalty: number
  diagnostics?: { before: TypicalityReport; after: TypicalityReport; hook: string }
  behaviour: BehaviourState
  running?: SaeStep
  progress?: { label: string; done: number; total: number }
  error?: string
  notice?: string

  setOptions(o: Partial<Pick<SaeState, 'corpusSetIds' | 'extraText' | 'extraSource' | 'hookKind' | 'layer' | 'backendPref' | 'testText' | 'positions' | 'chosen' | 'editPenalty'>>): void
  setConfig(c: Partial<SaeTrainConfig>): void
  setSelection(s: Partial<SaeState['selection']>): void
  setBehaviour(b: Partial<BehaviourState>): void
  /** One click: collect, train, evaluate, browse and find the moral features. */
  runAll(): Promise<void>
  collect(): Promise<boolean>
  train(): Promise<boolean>
  pause(): void
  resume(): void
  cancel(): void
  analyse(): Promise<boolean>
  setQuery(q: Partial<FeatureQueryUI>): Promise<void>
  selectFeature(f: number): Promise<void>
  readText(): Promise<void>
  findMoral(): Promise<void>
  realign(): Promise<void>
  runDiagnostics(): Promise<void>
  generateAnswers(): Promise<void>
  judge(trialId: string, choice: PairwiseChoice): void
  modelJudge(): Promise<void>
  /** SAELens files of the current SAE, for the panel to offer as downloads. */
  saeFiles(): Promise<SaeLensFiles | undefined>
  loadSae(files: File[]): Promise<void>
  hookName(): string | undefined
}

const JOB = 'sae'
const PAGE = 25

function defaultLayer(): number {
  const info = modelStore.getState().info
  return info ? Math.floor(info.nLayers / 2) : 0
}

function isCancel(e: unknown): boolean {
  return /abort|cancel/i.test((e as Error)?.message ?? '')
}

export const saeStore = createStore<SaeState>()((set, get) => {
  // Fast loops report hundreds of times a second; the screen needs a few updates.
  let lastProgress = 0
  const progress = (label: string) => (done: number, total: number) => {
    const now = performance.now()
    if (done < total && done > 0 && now - lastProgress < 100) return
    lastProgress = now
    set({ progress: { label, done, total } })
    jobsStore.getState().upsert({ id: JOB, label, fraction: total ? done / total : undefined, cancel: () => get().cancel() })
  }

  /** Runs one step as a status-bar job; errors land in `error`, results already shown stay. */
  async function step<T>(name: SaeStep, label: string, work: () => Promise<T>): Promise<T | undefined> {
    set({ running: name, error: undefined, progress: undefined })
    jobsStore.getState().upsert({ id: JOB, label, cancel: () => get().cancel() })
    try {
      return await work()
    } catch (e) {
      if (!isCancel(e)) set({ error: (e as Error).message })
      return undefined
    } finally {
      set({ running: undefined, progress: undefined })
      jobsStore.getState().remove(JOB)
    }
  }

  function requireModel() {
    const info = modelStore.getState().info
    if (!info) throw new Error('Load a model first (Model panel).')
    if (!info.hooks.supported) throw new Error(`This model's residual stream could not be located: ${info.hooks.reason}`)
    return info
  }

  function corpusSets(): StimulusSet[] {
    const all = stimuliStore.getState().sets
    return get().corpusSetIds.map((id) => all.find((s) => s.id === id)).filter((s): s is StimulusSet => !!s)
  }

  async function attachSaeToModel() {
    const sae = await saeWorker().exportSae()
    await modelWorker().setSae(Comlink.transfer(sae, [sae.encoder.buffer, sae.decoder.buffer] as ArrayBuffer[]))
  }

  function resetDerived(): Partial<SaeState> {
    return {
      evaluation: undefined,
      splice: undefined,
      statsReady: false,
      labels: undefined,
      page: undefined,
      selected: undefined,
      detail: undefined,
      logits: undefined,
      textReading: undefined,
      moral: undefined,
      chosen: [],
      realignment: undefined,
      diagnostics: undefined,
      behaviour: { ...get().behaviour, trials: [], judgements: [], modelJudgements: [], modelJudged: false },
    }
  }

  function editSpec(): SaeEditSpec[] {
    const { behaviour, realignment, positions } = get()
    const hook = get().hookName()!
    if (behaviour.edit === 'steer') {
      if (behaviour.steerFeature === null) throw new Error('Choose a feature to steer with (select one in the feature browser).')
      return [{ kind: 'steer', hook, feature: behaviour.steerFeature, alpha: behaviour.steerAlpha }]
    }
    if (!realignment) throw new Error('Fit the re-alignment first, or choose a steered feature.')
    return [{ kind: 'realign', hook, features: realignment.features, M: Array.from(realignment.M), positions }]
  }

  return {
    corpusSetIds: ['builtin:moral-typicality', 'builtin:value-entanglement', 'builtin:moral-claims'],
    extraText: '',
    hookKind: 'resid_post',
    layer: null,
    config: {},
    backendPref: 'auto',
    history: [],
    paused: false,
    statsReady: false,
    query: { sort: 'monosemanticity', order: 'desc', text: '', axis: '', minDensity: 0, page: 0 },
    testText: '',
    selection: { minRho: 0.3, minMargin: 0.1, maxFeatures: 32 },
    chosen: [],
    positions: 'all',
    editPenalty: 0.1,
    behaviour: { prompts: 6, maxTokens: 40, edit: 'realign', steerFeature: null, steerAlpha: 4, temperature: 0.7, seed: 1, trials: [], judgements: [], modelJudgements: [], modelJudged: false },

    setOptions: (o) => set(o),
    setConfig: (c) => set({ config: { ...get().config, ...c } }),
    setSelection: (s) => set({ selection: { ...get().selection, ...s } }),
    setBehaviour: (b) => set({ behaviour: { ...get().behaviour, ...b } }),

    hookName() {
      const info = modelStore.getState().info
      if (!info) return undefined
      const layer = get().layer ?? defaultLayer()
      return `blocks.${layer}.hook_${get().hookKind}`
    },

    async runAll() {
      if (!(await get().collect())) return
      if (!(await get().train())) return
      if (!(await get().analyse())) return
      await get().findMoral()
    },

    async collect() {
      const ok = await step('collect', 'Collecting activations for the SAE', async () => {
        const info = requireModel()
        const hook = get().hookName()!
        const corpus = buildSaeCorpus(corpusSets(), { extraText: get().extraText, extraSource: get().extraSource })
        const onProgress = progress('Capturing every token of the corpus')
        const { summary, reused } = await modelWorker().ensureCapture(corpus.set, { hooks: [hook], pooling: 'all', batchSize: 8 }, `${JOB}-capture`, Comlink.proxy(onProgress))
        set({ progress: { label: 'Reading the tokens', done: 0, total: 1 } })
        const { tokens } = await modelWorker().captureTokens(summary.id)
        const s = await saeWorker().loadCorpus(summary.id, hook, tokens, corpus.set.items.map((i) => i.id), info.sourceLabel)
        const suggested = await saeWorker().suggestTrainConfig(info.dModel, s.trainTokens)
        const sameModel = get().corpus?.modelKey === `${info.sourceKey}|${info.dtype}` && get().sae?.dIn === info.dModel
        set({
          corpus: { ...s, setName: corpus.set.name, sources: corpus.sources, reused, modelKey: `${info.sourceKey}|${info.dtype}` },
          config: { ...suggested, ...get().config },
          ...(sameModel ? {} : { sae: undefined, history: [], trainRun: undefined, ...resetDerived() }),
        })
        return true
      })
      return ok === true
    },

    async train() {
      if (!get().corpus) return false
      const cfg = { ...get().config }
      set({ history: [], densityHistogram: undefined, paused: false, trainRun: undefined, backend: undefined, ...resetDerived() })
      const steps = cfg.steps ?? 0
      const r = await step('train', 'Training the SAE', async () => {
        const run = await saeWorker().train(
          cfg,
          get().backendPref,
          Comlink.proxy((m: SaeStepMetrics) => {
            const history = [...get().history, m]
            const eta = m.tokensPerSecond > 0 ? ((steps - m.step) * (cfg.batchSize ?? 1024)) / m.tokensPerSecond : undefined
            set({ history, progress: { label: 'Training', done: m.step, total: steps } })
            jobsStore.getState().upsert({ id: JOB, label: `Training the SAE · step ${m.step}/${steps}`, fraction: m.step / steps, etaSeconds: eta, cancel: () => get().cancel() })
          }),
          Comlink.proxy((d: { histogram: Histogram }) => set({ densityHistogram: d.histogram })),
          Comlink.proxy((b: SaeBackendChoice) => set({ backend: b })),
        )
        set({ sae: run.sae, trainRun: { stepsCompleted: run.stepsCompleted, steps, cancelled: run.cancelled }, history: run.history, paused: false })
        await attachSaeToModel()
        return true
      })
      return r === true
    },

    pause() {
      void saeWorker().pauseTraining()
      set({ paused: true })
    },
    resume() {
      void saeWorker().resumeTraining()
      set({ paused: false })
    },

    cancel() {
      const w = saeWorker()
      for (const id of ['train', 'evaluate', 'stats', 'realign']) void w.cancel(id)
      if (get().paused) get().resume()
      for (const id of [`${JOB}-capture`, `${JOB}-splice`, `${JOB}-labels`, `${JOB}-after`, `${JOB}-generate`]) void modelWorker().cancelJob(id)
      void analysisWorker().cancel(`${JOB}-diagnostics`)
    },

    async analyse() {
      if (!get().sae) return false
      const r = await step('evaluate', 'Evaluating the SAE', async () => {
        const hook = get().hookName()!
        const evaluation = await saeWorker().evaluate(Comlink.proxy(progress('Reconstruction on held-out texts')))
        set({ evaluation })
        const corpus = buildSaeCorpus(corpusSets(), { extraText: get().extraText, extraSource: get().extraSource })
        const held = await saeWorker().heldOutTextIndices()
        const texts = (held.length ? held : corpus.set.items.map((_, i) => i)).slice(0, 48).map((i) => corpus.set.items[i].text)
        const splice = await modelWorker().saeSpliceEval(texts, hook, { batchSize: 8, maxTokens: 48 }, `${JOB}-splice`, Comlink.proxy(progress('Splicing the SAE into the model')))
        set({ splice, running: 'stats' })
        await saeWorker().computeStats(Comlink.proxy(progress('Feature statistics over the corpus')))
        set({ statsReady: true, running: 'labels' })
        const { set: labelled, fallback } = typicalitySet()
        const { summary } = await modelWorker().ensureCapture(labelled, { hooks: [hook], pooling: 'last', batchSize: 8 }, `${JOB}-labels`, Comlink.proxy(progress(`Last-token activations of ${labelled.name}`)))
        const labels = await saeWorker().setLabelledFromStore(summary.id, hook, labelled.items, Comlink.proxy(progress('Correlating features with moral labels')))
        set({ labels, labelledSet: { name: labelled.name, items: labelled.items.length, fallback } })
        await get().setQuery({ page: 0 })
        return true
      })
      return r === true
    },

    async setQuery(q) {
      const query = { ...get().query, ...q }
      if (q.page === undefined && Object.keys(q).length > 0) query.page = 0
      set({ query })
      if (!get().statsReady) return
      try {
        const page = await saeWorker().queryFeatures({
          filter: { text: query.text || undefined, bestAxis: query.axis || undefined, minDensity: query.minDensity || undefined },
          sort: { key: query.sort, order: query.order },
          offset: query.page * PAGE,
          limit: PAGE,
        })
        set({ page })
        if (get().selected === undefined && page.rows.length) await get().selectFeature(page.rows[0].feature)
      } catch (e) {
        set({ error: (e as Error).message })
      }
    },

    async selectFeature(f) {
      set({ selected: f })
      try {
        const [detail, logits] = await Promise.all([saeWorker().featureDetail(f), modelWorker().saeLogitEffects([f], 8).then((r) => r[0]).catch(() => undefined)])
        if (get().selected === f) set({ detail, logits })
      } catch (e) {
        set({ error: (e as Error).message })
      }
    },

    async readText() {
      const text = get().testText.trim()
      if (!text) return
      await step('stats', 'Reading your text', async () => {
        const hook = get().hookName()!
        const cap = await modelWorker().capture([text], { hooks: [hook], pooling: 'all' })
        const tokens = (await modelWorker().decodeTokens(cap.tokenIds ?? []))[0]
        const textReading = await saeWorker().readText(cap.activations[hook].data, tokens)
        set({ textReading })
      })
    },

    async findMoral() {
      if (!get().labels) return
      try {
        const moral = await saeWorker().selectMoral({ ...get().selection })
        set({ moral, chosen: moral.slice(0, 16).map((m) => m.feature) })
      } catch (e) {
        set({ error: (e as Error).message })
      }
    },

    async realign() {
      const features = get().chosen
      if (features.length === 0) return set({ error: 'Choose at least one moral feature to re-align.' })
      await step('realign', 'Fitting the re-alignment', async () => {
        const realignment = await saeWorker().realign(features, { maxSteps: 400, learningRate: 0.05, lambdaRelative: get().editPenalty }, Comlink.proxy(progress('Fitting the re-alignment')))
        set({ realignment, diagnostics: undefined, behaviour: { ...get().behaviour, edit: 'realign', trials: [], judgements: [], modelJudgements: [], modelJudged: false } })
      })
    },

    async runDiagnostics() {
      if (!get().realignment) return
      await step('diagnostics', 'Re-running the typicality diagnostics', async () => {
        const info = requireModel()
        const { set: labelled } = typicalitySet()
        const spec: SaeEditSpec[] = [{ kind: 'realign', hook: get().hookName()!, features: get().realignment!.features, M: Array.from(get().realignment!.M), positions: get().positions }]
        const { summary } = await modelWorker().ensureCapture(labelled, { hooks: ['resid_post'], pooling: 'last', batchSize: 8 }, `${JOB}-labels`, Comlink.proxy(progress('Activations without the edit')))
        const hooks = summary.hooks.map((h) => h.hook).filter((h) => h.endsWith('hook_resid_post'))
        const opts = { seed: 1, bootstrap: 200, pcaDims: 50 }
        const before = await analysisWorker().typicalityFromStore(`sae-before|${summary.id}`, summary.id, hooks, labelled.items, opts, `${JOB}-diagnostics`, Comlink.proxy(progress('Diagnostics without the edit')))
        const cap = await modelWorker().capture(labelled.items.map((i) => i.text), { hooks: ['resid_post'], pooling: 'last', batchSize: 8, saeEdits: spec }, `${JOB}-after`, Comlink.proxy(progress('Activations with the edit')))
        const layers = cap.hooks.map((h) => ({ hook: h, layer: Number(/^blocks\.(\d+)\./.exec(h)![1]), data: cap.activations[h].data, rows: cap.activations[h].shape[0], cols: cap.activations[h].shape[1] }))
        const after = await analysisWorker().typicality(`sae-after|${info.sourceKey}`, layers, labelled.items, opts, `${JOB}-diagnostics`, Comlink.proxy(progress('Diagnostics with the edit')))
        set({ diagnostics: { before, after, hook: get().hookName()! } })
      })
    },

    async generateAnswers() {
      await step('answers', 'Generating answers with and without the edit', async () => {
        const info = requireModel()
        const spec = editSpec()
        const b = get().behaviour
        const prompts = ADVERSARIAL_MORAL_PROMPTS.slice(0, b.prompts)
        const entries = []
        const total = prompts.length * 2
        let done = 0
        const onDone = progress('Generating answers')
        for (const [i, p] of prompts.entries()) {
          const opts = { maxNewTokens: b.maxTokens, chat: info.hasChatTemplate, temperature: b.temperature, topP: 0.95, seed: b.seed * 1000 + i }
          const original = await modelWorker().generate(p.prompt, opts, undefined, `${JOB}-generate`)
          onDone(++done, total)
          const edited = await modelWorker().generate(p.prompt, { ...opts, saeEdits: spec }, undefined, `${JOB}-generate`)
          onDone(++done, total)
          entries.push({ promptId: p.id, prompt: p.prompt, original: original.text, edited: edited.text })
        }
        const label =
          spec[0].kind === 'steer' ? `feature ${spec[0].feature} steered by α = ${spec[0].alpha}` : `re-alignment of ${get().realignment!.features.length} features (${get().positions === 'all' ? 'every token' : 'last token'})`
        set({ behaviour: { ...get().behaviour, trials: createPairwiseTrials(entries, b.seed), judgements: [], modelJudgements: [], modelJudged: false, editLabel: label } })
      })
    },

    judge(trialId, choice) {
      const b = get().behaviour
      const trial = b.trials.find((t) => t.trialId === trialId)
      if (!trial) return
      const judgements = [...b.judgements.filter((j) => j.trialId !== trialId), recordJudgement(trial, choice, 'user')]
      set({ behaviour: { ...b, judgements } })
    },

    async modelJudge() {
      await step('judge', 'The model judges the answers', async () => {
        const info = requireModel()
        const b = get().behaviour
        const out: PairwiseJudgement[] = []
        const onDone = progress('Model judging')
        for (const [i, t] of b.trials.entries()) {
          const ask = async (left: string, right: string) => {
            const jp = buildJudgePrompt(t.prompt, left, right)
            const r = info.hasChatTemplate
              ? await modelWorker().generate(jp.user, { maxNewTokens: 4, chat: true, system: jp.system, temperature: 0 }, undefined, `${JOB}-generate`)
              : await modelWorker().generate(`${jp.system}\n\n${jp.user}\nVerdict:`, { maxNewTokens: 4, temperature: 0 }, undefined, `${JOB}-generate`)
            return parseJudgeVerdict(r.text)
          }
          const first = await ask(t.leftAnswer, t.rightAnswer)
          const swapped = await ask(t.rightAnswer, t.leftAnswer)
          const verdict = combineSwappedVerdicts(first, swapped)
          if (verdict) out.push(recordJudgement(t, verdict, 'model', info.sourceLabel))
          onDone(i + 1, b.trials.length)
        }
        set({ behaviour: { ...get().behaviour, modelJudgements: out, modelJudged: true } })
      })
    },

    async saeFiles() {
      const info = modelStore.getState().info
      try {
        return await saeWorker().saveSaeLens({ model_name: info?.sourceLabel ?? null, model_revision: info?.revision ?? null, dtype: info?.dtype ?? null, app: 'moral-lens' })
      } catch (e) {
        set({ error: (e as Error).message })
        return undefined
      }
    },

    async loadSae(files) {
      await step('load', 'Opening the SAE', async () => {
        const info = requireModel()
        const cfgFile = files.find((f) => f.name.endsWith('.json'))
        const weightFile = files.find((f) => f.name.endsWith('.safetensors'))
        if (!cfgFile || !weightFile)
          throw new Error(`Choose both files of a SAELens SAE: ${SAE_CFG_FILENAME} and ${SAE_WEIGHTS_FILENAME} (got ${files.map((f) => f.name).join(', ') || 'nothing'}).`)
        const cfgJson = await cfgFile.text()
        const weights = new Uint8Array(await weightFile.arrayBuffer())
        let hookInCfg: string | undefined
        try {
          const c = JSON.parse(cfgJson) as { hook_name?: string; metadata?: { hook_name?: string } }
          hookInCfg = c.metadata?.hook_name ?? c.hook_name
        } catch {
          // loadSaeLens names the JSON error.
        }
        const m = hookInCfg ? /^blocks\.(\d+)\.hook_(resid_pre|resid_mid|resid_post)$/.exec(hookInCfg) : null
        if (m && info.hooks.names.includes(hookInCfg!) && hookInCfg !== get().hookName()) {
          set({ layer: Number(m[1]), hookKind: m[2] as HookKind })
          if (!(await get().collect())) return
        } else if (!get().corpus) {
          if (!(await get().collect())) return
        }
        set({ running: 'load' })
        const sae = await saeWorker().loadSaeLens(cfgJson, Comlink.transfer(weights, [weights.buffer]), { dIn: info.dModel, hooks: info.hooks.names })
        set({ sae, history: [], trainRun: undefined, ...resetDerived(), notice: `Opened ${cfgFile.name} + ${weightFile.name}: ${sae.dSae.toLocaleString('en')} features at ${sae.hook ?? get().hookName()}.` })
        await attachSaeToModel()
      })
      if (get().sae && !get().statsReady && !get().error && (await get().analyse())) await get().findMoral()
    },
  }
})

export const useSae = <T,>(selector: (s: SaeState) => T) => useStore(saeStore, selector)
export const FEATURE_PAGE_SIZE = PAGE
