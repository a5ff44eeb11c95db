// The model service behind the worker: one loaded model at a time, loads that can be cancelled,
// failed loads that leave the previous model in place, and bookkeeping that tests can check
// for leaks. Framework-free: the worker injects onnxruntime, fetch, the cache and the GPU probe.
import type { CausalLM, ModelInfo, Ort } from './causal-lm.ts'
import { loadCausalLM, describeModelFiles, type LoadProgress, type ModelFilesSummary } from './loader.ts'
import { builtinSource, hubSource, urlSource, LocalModelSource, type LocalFileEntry, type ModelSource } from './sources.ts'
import type { CachedFile, FileCache } from './download.ts'
import type { DevicePreference, Environment } from './device.ts'
import type { Dtype } from './catalog.ts'
import { captureActivations, type CaptureOptions, type CaptureResult } from '../hooks/capture.ts'
import { layerLens, type LensResult } from '../hooks/logit-lens.ts'
import { scoreContinuations, scoreNextTokens, type ContinuationScore, type TokenSetScores } from '../hooks/scoring.ts'
import { generate, type GenerateOptions, type GeneratedToken } from '../hooks/generate.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { renderChat, type ChatMessage } from './tokenizer.ts'
import { runElicitation, type ElicitationOptions, type ElicitationResult } from '../icm/session.ts'
import { IcmController, type IcmEvent } from '../icm/icm.ts'
import { LmIcmScorer } from '../icm/lm-scorer.ts'
import { RemoteIcmScorer } from '../icm/remote-scorer.ts'
import { chatZeroShotScorer } from '../icm/chat-scorer.ts'
import type { StimulusSet } from '../stimuli/types.ts'
import { runEntanglementProbes, runEntanglementAblation, type EntanglementProbes, type AblationRunOptions, type EntanglementRunOptions } from '../entanglement/session.ts'
import type { EntanglementProgress } from '../entanglement/behaviour.ts'
import type { AblationResult } from '../entanglement/ablation.ts'
import type { Sae } from '../sae/types.ts'
import { resolveSaeEdits, type SaeEditSpec } from '../sae/edits.ts'
import { validateSae } from '../sae/model.ts'
import { evaluateSaeSplice, featureLogitEffects, type FeatureLogitEffects, type SpliceRunOptions } from '../sae/in-model.ts'
import type { SpliceEvaluation } from '../sae/evaluation.ts'

export type ScorerSpec = { kind: 'model' } | { kind: 'remote'; baseUrl: string; model: string; apiKey?: string }

export type SourceSpec =
  | { kind: 'hub'; id: string; revision?: string }
  | { kind: 'url'; prefix: string }
  | { kind: 'builtin'; id: string }
  | { kind: 'local'; name: string; entries: LocalFileEntry[] }

export interface LoadRequest {
  source: SourceSpec
  device?: DevicePreference
  dtype?: Dtype
}

export interface ServiceDeps {
  ort: Ort
  probeEnvironment: () => Promise<Environment>
  cache?: FileCache
  fetch?: typeof fetch
  /** URL of the folder holding the built-in models (ends with '/'); the page may set it later. */
  builtinBaseUrl?: string
  /** Optional: identity of the WebGPU device ORT uses, to detect device leaks. */
  currentGpuDevice?: () => unknown
}

export interface ServiceStats {
  loadsStarted: number
  loadsSucceeded: number
  sessionsCreated: number
  sessionsReleased: number
  liveSessions: number
  gpuDevicesSeen: number
}

export interface TopToken {
  id: number
  token: string
  logit: number
  prob: number
}

export class ModelService {
  private model: CausalLM | undefined
  private loading: AbortController | undefined
  private env: Promise<Environment> | undefined
  private hubHost: string | undefined
  private builtinBaseUrl: string | undefined
  private gpuDevices = new Set<unknown>()
  private stats = { loadsStarted: 0, loadsSucceeded: 0, sessionsCreated: 0, sessionsReleased: 0 }

  constructor(private readonly deps: ServiceDeps) {}

  environment(): Promise<Environment> {
    this.env ??= this.deps.probeEnvironment()
    return this.env
  }

  setHubHost(host: string | undefined): void {
    this.hubHost = host || undefined
  }

  /** Where the built-in models live: the page knows its own base URL, the worker does not. */
  setBuiltinBaseUrl(url: string): void {
    this.builtinBaseUrl = url
  }

  sourceFor(spec: SourceSpec): ModelSource {
    const http = { cache: this.deps.cache, fetch: this.deps.fetch }
    switch (spec.kind) {
      case 'hub':
        return hubSource(spec.id, { ...http, host: this.hubHost, revision: spec.revision })
      case 'url':
        return urlSource(spec.prefix, http)
      case 'builtin':
        const base = this.builtinBaseUrl ?? this.deps.builtinBaseUrl
        if (!base) throw new Error('The location of the built-in models is not known yet.')
        return builtinSource(spec.id, base, { fetch: this.deps.fetch })
      case 'local':
        return new LocalModelSource(spec.entries, spec.name)
    }
  }

  /** Dtypes and sizes, before any download. */
  describe(spec: SourceSpec, timeoutMs = 8000): Promise<ModelFilesSummary> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    return describeModelFiles(this.sourceFor(spec), controller.signal).finally(() => clearTimeout(timer))
  }

  /** Whether the hub answers at all (drives the offline fallback). */
  async hubReachable(id: string, timeoutMs = 5000): Promise<boolean> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    try {
      const bytes = await this.sourceFor({ kind: 'hub', id }).read('config.json', { signal: controller.signal })
      return !!bytes
    } catch {
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Loads a model; the previous one is released only once the new one is ready, so a failed
   * or cancelled load leaves it usable. A new load cancels one in flight.
   */
  async load(req: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    this.loading?.abort()
    const controller = new AbortController()
    this.loading = controller
    this.stats.loadsStarted++
    try {
      const model = await loadCausalLM(this.sourceFor(req.source), {
        ort: this.deps.ort,
        env: await this.environment(),
        device: req.device,
        dtype: req.dtype,
        signal: controller.signal,
        onProgress,
      })
      this.stats.sessionsCreated++
      if (model.info.device === 'webgpu' && this.deps.currentGpuDevice) this.gpuDevices.add(this.deps.currentGpuDevice())
      const previous = this.model
      this.model = model
      // An SAE belongs to the model whose activations it was trained on.
      this.sae = undefined
      this.stats.loadsSucceeded++
      if (previous) await this.release(previous)
      return model.info
    } finally {
      if (this.loading === controller) this.loading = undefined
    }
  }

  cancelLoad(): boolean {
    if (!this.loading) return false
    this.loading.abort()
    return true
  }

  private async release(model: CausalLM): Promise<void> {
    await model.dispose()
    this.stats.sessionsReleased++
  }

  async unload(): Promise<void> {
    if (this.model) await this.release(this.model)
    this.model = undefined
  }

  get current(): CausalLM | undefined {
    return this.model
  }

  info(): ModelInfo | undefined {
    return this.model?.info
  }

  requireModel(): CausalLM {
    if (!this.model) throw new Error('No model is loaded yet.')
    return this.model
  }

  async nextTokenLogits(texts: string[]): Promise<{ logits: Float32Array; vocab: number }> {
    const { logits, vocab } = await this.requireModel().nextTokenLogits(texts)
    return { logits, vocab }
  }

  /** The k most likely next tokens after a text, with probabilities. */
  async topNextTokens(text: string, k = 5): Promise<TopToken[]> {
    const model = this.requireModel()
    const { logits, vocab } = await model.nextTokenLogits([text])
    let max = -Infinity
    for (let i = 0; i < vocab; i++) if (logits[i] > max) max = logits[i]
    let z = 0
    for (let i = 0; i < vocab; i++) z += Math.exp(logits[i] - max)
    const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b] - logits[a]).slice(0, k)
    return order.map((id) => ({
      id,
      token: model.tokenizer.decode([id]),
      logit: logits[id],
      prob: Math.exp(logits[id] - max) / z,
    }))
  }

  private jobs = new Map<string, AbortController>()

  /** Runs `work` as a cancellable job; `cancelJob(id)` aborts it. */
  runJob<T>(id: string | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.job(id, work)
  }

  private async job<T>(id: string | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    if (id) {
      this.jobs.get(id)?.abort()
      this.jobs.set(id, controller)
    }
    try {
      return await work(controller.signal)
    } finally {
      if (id && this.jobs.get(id) === controller) this.jobs.delete(id)
    }
  }

  cancelJob(id: string): boolean {
    const c = this.jobs.get(id)
    c?.abort()
    return !!c
  }

  capture(
    texts: string[],
    opts: Omit<CaptureOptions, 'signal' | 'onProgress' | 'edits'> & { saeEdits?: SaeEditSpec[] },
    jobId?: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<CaptureResult> {
    const { saeEdits, ...rest } = opts
    const resolved = this.saeEdits(saeEdits)
    return this.job(jobId, (signal) =>
      captureActivations(this.requireModel(), texts, { ...rest, edits: resolved.edits, interventions: [...(rest.interventions ?? []), ...resolved.interventions], signal, onProgress }),
    )
  }

  private sae: Sae | undefined

  /** The SAE used by splice evaluation, SAE edits and feature logit effects (a copy of the SAE worker's). */
  setSae(sae: Sae | null): void {
    if (sae) {
      validateSae(sae)
      if (this.model && sae.cfg.dIn !== this.model.dModel)
        throw new Error(`The SAE reads ${sae.cfg.dIn}-dimensional activations but the loaded model has ${this.model.dModel}.`)
    }
    this.sae = sae ?? undefined
  }

  private requireSae(): Sae {
    if (!this.sae) throw new Error('No SAE is attached to the model yet; train or load one in the Features panel.')
    return this.sae
  }

  private saeEdits(specs: SaeEditSpec[] | undefined): ReturnType<typeof resolveSaeEdits> {
    if (!specs || specs.length === 0) return { edits: [], interventions: [] }
    return resolveSaeEdits(this.requireSae(), specs)
  }

  saeSpliceEval(texts: string[], hook: string, opts: Omit<SpliceRunOptions, 'signal' | 'onProgress'> = {}, jobId?: string, onProgress?: (done: number, total: number) => void): Promise<SpliceEvaluation> {
    return this.job(jobId, (signal) => evaluateSaeSplice(this.requireModel(), this.requireSae(), hook, texts, { ...opts, signal, onProgress }))
  }

  saeLogitEffects(features: number[], k = 10): Promise<FeatureLogitEffects[]> {
    return featureLogitEffects(this.requireModel(), this.requireSae(), features, k)
  }

  /** Token strings for lists of token ids (one decode per id, as feature browsers show them). */
  decodeTokens(ids: number[][]): string[][] {
    const tok = this.requireModel().tokenizer
    const cache = new Map<number, string>()
    return ids.map((row) =>
      row.map((id) => {
        let s = cache.get(id)
        if (s === undefined) cache.set(id, (s = tok.decode([id])))
        return s
      }),
    )
  }

  layerLens(text: string, opts: { topK?: number; interventions?: Intervention[] } = {}): Promise<LensResult> {
    return layerLens(this.requireModel(), text, opts)
  }

  scoreNextTokens(prompts: string[], tokenIds: number[], opts: { interventions?: Intervention[]; batchSize?: number } = {}, jobId?: string): Promise<TokenSetScores> {
    return this.job(jobId, (signal) => scoreNextTokens(this.requireModel(), prompts, tokenIds, { ...opts, signal }))
  }

  scoreContinuations(prompt: string, continuations: string[], opts: { interventions?: Intervention[] } = {}): Promise<ContinuationScore[]> {
    return scoreContinuations(this.requireModel(), prompt, continuations, opts)
  }

  /** Renders a user message with the chat template (instruct models) or returns it as is. */
  promptFor(text: string, useChat: boolean, system?: string): string {
    const model = this.requireModel()
    if (!useChat || !model.info.hasChatTemplate) return text
    const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : []
    messages.push({ role: 'user', content: text })
    return renderChat(model.tokenizer, messages)
  }

  /** Streams generated tokens to `onToken`; resolves with the full text. */
  async generate(
    prompt: string,
    opts: Omit<GenerateOptions, 'signal' | 'edits'> & { chat?: boolean; system?: string; saeEdits?: SaeEditSpec[] },
    onToken?: (t: GeneratedToken) => void,
    jobId?: string,
  ): Promise<{ text: string; tokens: number; reason?: string }> {
    return this.job(jobId, async (signal) => {
      const model = this.requireModel()
      const input = this.promptFor(prompt, opts.chat ?? false, opts.system)
      const { saeEdits, system: _system, ...rest } = opts
      const resolved = this.saeEdits(saeEdits)
      let last: GeneratedToken | undefined
      let n = 0
      const genOpts = { ...rest, edits: resolved.edits, interventions: [...(rest.interventions ?? []), ...resolved.interventions], signal, addSpecialTokens: !(opts.chat && model.info.hasChatTemplate) }
      for await (const t of generate(model, input, genOpts)) {
        last = t
        n++
        onToken?.(t)
      }
      return { text: last?.text ?? '', tokens: n, reason: last?.reason }
    })
  }

  entanglement(
    set: StimulusSet,
    opts: Omit<EntanglementRunOptions, 'signal' | 'onProgress'>,
    onProgress?: (p: EntanglementProgress) => void,
    jobId = 'entanglement',
  ): Promise<EntanglementProbes> {
    return this.job(jobId, (signal) => runEntanglementProbes(this.requireModel(), set, { ...opts, signal, onProgress }))
  }

  entanglementAblation(
    set: StimulusSet,
    before: EntanglementProbes,
    opts: Omit<AblationRunOptions, 'signal' | 'onProgress'>,
    onProgress?: (p: EntanglementProgress) => void,
    jobId = 'entanglement',
  ): Promise<AblationResult> {
    return this.job(jobId, (signal) => runEntanglementAblation(this.requireModel(), set, before, { ...opts, signal, onProgress }))
  }

  private icmControllers = new Map<string, IcmController>()

  /**
   * ICM with the loaded model (KV-prefix reuse) or a remote completions endpoint. The API key is
   * used for this run only and never returned.
   */
  async elicitation(
    set: StimulusSet,
    options: ElicitationOptions,
    scorerSpec: ScorerSpec,
    onEvent?: (e: IcmEvent) => void,
    onPhase?: (p: string) => void,
    jobId = 'icm',
    onStart?: (trainIds: string[], testIds: string[]) => void,
  ): Promise<ElicitationResult> {
    const controller = new IcmController()
    this.icmControllers.get(jobId)?.cancel()
    this.icmControllers.set(jobId, controller)
    let scorer: LmIcmScorer | RemoteIcmScorer
    let instructScorer
    if (scorerSpec.kind === 'remote') {
      scorer = new RemoteIcmScorer({ baseUrl: scorerSpec.baseUrl, model: scorerSpec.model, apiKey: scorerSpec.apiKey, fetch: this.deps.fetch })
    } else {
      const model = this.requireModel()
      scorer = new LmIcmScorer(model, {})
      if (model.info.hasChatTemplate) instructScorer = chatZeroShotScorer(model)
    }
    try {
      return await runElicitation(set, scorer, options, {
        onEvent,
        onPhase,
        onStart: (train, test) => onStart?.(train.map((i) => i.id), test.map((i) => i.id)),
        signal: controller.signal,
        pauseGate: controller.pauseGate,
        instructScorer,
      })
    } finally {
      if (scorer instanceof LmIcmScorer) scorer.dispose()
      instructScorer?.inner.dispose()
      if (this.icmControllers.get(jobId) === controller) this.icmControllers.delete(jobId)
    }
  }

  pauseElicitation(jobId = 'icm'): void {
    this.icmControllers.get(jobId)?.pause()
  }

  resumeElicitation(jobId = 'icm'): void {
    this.icmControllers.get(jobId)?.resume()
  }

  cancelElicitation(jobId = 'icm'): void {
    this.icmControllers.get(jobId)?.cancel()
  }

  getStats(): ServiceStats {
    return {
      ...this.stats,
      liveSessions: this.stats.sessionsCreated - this.stats.sessionsReleased,
      gpuDevicesSeen: this.gpuDevices.size,
    }
  }

  async cacheList(): Promise<CachedFile[]> {
    return (await this.deps.cache?.list()) ?? []
  }

  async cacheDelete(urls: string[]): Promise<number> {
    let n = 0
    for (const u of urls) if (await this.deps.cache?.delete(u)) n++
    return n
  }

  async cacheClear(): Promise<void> {
    await this.deps.cache?.clear()
  }
}
