// Model state for the UI. It only dispatches to the worker and keeps what the worker said.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { modelWorker, Comlink } from './modelWorker.ts'
import { jobsStore } from './jobs.ts'
import type { ModelInfo } from '../core/model/causal-lm.ts'
import type { LoadProgress, ModelFilesSummary } from '../core/model/loader.ts'
import type { SourceSpec, ServiceStats, TopToken } from '../core/model/service.ts'
import type { DevicePreference, Environment } from '../core/model/device.ts'
import type { CachedFile } from '../core/model/download.ts'
import { DEFAULT_HUB_MODEL, type Dtype } from '../core/model/catalog.ts'
import { DEFAULT_BUILTIN_MODEL } from '../core/testmodels/builtin.ts'
import { describeError, type UserError } from '../ui/errors.ts'
import { kitModelSource, workshopKit } from './workshop.ts'

export type ModelStatus = 'starting' | 'idle' | 'loading' | 'ready'

export interface ModelState {
  env?: Environment
  status: ModelStatus
  info?: ModelInfo
  /** Where the loaded model came from, so a share link can name it. */
  source?: SourceSpec
  progress?: LoadProgress
  loadingLabel?: string
  error?: UserError
  /** The hub was unreachable at start-up, so the built-in model was opened instead. */
  offlineFallback: boolean
  hubHost: string
  devicePref: DevicePreference
  sizes: Record<string, ModelFilesSummary | 'pending' | 'unavailable'>
  cache: CachedFile[]
  stats?: ServiceStats
  tryText: string
  topTokens?: { text: string; tokens: TopToken[] }

  /** `wanted`: a model named by a share link, opened instead of the URL's or the kit's. */
  init(wanted?: { source: SourceSpec; device?: DevicePreference; dtype?: Dtype }): Promise<void>
  load(source: SourceSpec, opts?: { device?: DevicePreference; dtype?: Dtype; label?: string; keepError?: boolean }): Promise<boolean>
  cancelLoad(): void
  describe(id: string): Promise<void>
  setDevicePref(d: DevicePreference): void
  setHubHost(host: string): Promise<void>
  refreshCache(): Promise<void>
  deleteCached(urls: string[]): Promise<void>
  clearCache(): Promise<void>
  dismissError(): void
  setTryText(t: string): void
  runTry(): Promise<void>
}

const HUB_KEY = 'moral-lens.hub-host'
const DEVICE_KEY = 'moral-lens.device'

function sourceLabel(s: SourceSpec): string {
  switch (s.kind) {
    case 'hub':
      return s.id
    case 'url':
      return s.prefix
    case 'builtin':
      return `built-in ${s.id}`
    case 'local':
      return `folder ${s.name}`
  }
}

export const modelStore = createStore<ModelState>()((set, get) => ({
  status: 'starting',
  offlineFallback: false,
  hubHost: 'https://huggingface.co/',
  devicePref: 'auto',
  sizes: {},
  cache: [],
  tryText: 'It is wrong to steal because',

  async init(linked) {
    const w = modelWorker()
    const params = new URLSearchParams(globalThis.location?.search ?? '')
    const hubHost = params.get('hub') ?? localStorage.getItem(HUB_KEY) ?? 'https://huggingface.co/'
    const devicePref = (linked?.device ?? params.get('device') ?? localStorage.getItem(DEVICE_KEY) ?? 'auto') as DevicePreference
    set({ hubHost, devicePref })
    await w.setHubHost(hubHost)
    await w.setBuiltinBaseUrl(new URL('models/', document.baseURI).href)
    const [env, kit] = await Promise.all([w.environment(), workshopKit()])
    set({ env, status: 'idle' })
    if (linked) {
      if (await get().load(linked.source, { dtype: linked.dtype })) return
      // The linked model failed: its error stays on screen while the built-in model opens.
      await get().load({ kind: 'builtin', id: DEFAULT_BUILTIN_MODEL }, { keepError: true })
      return
    }
    const builtin = params.get('builtin')
    const wanted = params.get('model') ?? DEFAULT_HUB_MODEL
    if (builtin) {
      await get().load({ kind: 'builtin', id: builtin })
      return
    }
    // A workshop kit opens on its own first model, without asking the hub anything.
    const kitModel = params.get('model') ? undefined : kit?.models[0]
    if (kitModel) {
      const ok = await get().load(kitModelSource(kitModel), { label: kitModel.title })
      if (ok) return
    }
    const online = await w.hubReachable(wanted, 5000)
    if (online) {
      const ok = await get().load({ kind: 'hub', id: wanted })
      if (ok) return
    }
    set({ offlineFallback: !online })
    // A requested model that failed keeps its error on screen while the built-in model opens.
    await get().load({ kind: 'builtin', id: DEFAULT_BUILTIN_MODEL }, { keepError: true })
  },

  async load(source, opts = {}) {
    const w = modelWorker()
    const label = opts.label ?? sourceLabel(source)
    const jobId = 'model-load'
    const previousStatus = get().info ? 'ready' : 'idle'
    set({ status: 'loading', loadingLabel: label, progress: undefined, ...(opts.keepError ? {} : { error: undefined }) })
    jobsStore.getState().upsert({ id: jobId, label: `Loading ${label}`, cancel: () => get().cancelLoad() })
    try {
      const info = await w.load(
        { source, device: opts.device ?? get().devicePref, dtype: opts.dtype },
        Comlink.proxy((p: LoadProgress) => {
          set({ progress: p })
          jobsStore.getState().upsert({
            id: jobId,
            label: `Loading ${label}`,
            fraction: p.total > 0 ? Math.min(1, p.loaded / p.total) : undefined,
            detail: p.message,
            etaSeconds: p.etaSeconds,
            cancel: () => get().cancelLoad(),
          })
        }),
      )
      set({ status: 'ready', info, source, progress: undefined, topTokens: undefined })
      if (source.kind === 'hub' || source.kind === 'url') void get().refreshCache()
      void w.getStats().then((stats) => set({ stats }))
      return true
    } catch (e) {
      const err = describeError(e, label, previousStatus === 'ready')
      set({ status: previousStatus, progress: undefined, error: err.cancelled ? undefined : err })
      return false
    } finally {
      jobsStore.getState().remove(jobId)
    }
  },

  cancelLoad() {
    void modelWorker().cancelLoad()
  },

  async describe(id) {
    if (get().sizes[id] && get().sizes[id] !== 'unavailable') return
    set((s) => ({ sizes: { ...s.sizes, [id]: 'pending' } }))
    try {
      const summary = await modelWorker().describe({ kind: 'hub', id })
      set((s) => ({ sizes: { ...s.sizes, [id]: summary.listed ? summary : 'unavailable' } }))
    } catch {
      set((s) => ({ sizes: { ...s.sizes, [id]: 'unavailable' } }))
    }
  },

  setDevicePref(d) {
    localStorage.setItem(DEVICE_KEY, d)
    set({ devicePref: d })
  },

  async setHubHost(host) {
    const h = host.trim() || 'https://huggingface.co/'
    localStorage.setItem(HUB_KEY, h)
    await modelWorker().setHubHost(h)
    set({ hubHost: h, sizes: {} })
  },

  async refreshCache() {
    set({ cache: await modelWorker().cacheList() })
  },

  async deleteCached(urls) {
    await modelWorker().cacheDelete(urls)
    await get().refreshCache()
  },

  async clearCache() {
    await modelWorker().cacheClear()
    await get().refreshCache()
  },

  dismissError() {
    set({ error: undefined })
  },

  setTryText(t) {
    set({ tryText: t })
  },

  async runTry() {
    const text = get().tryText
    try {
      const tokens = await modelWorker().topNextTokens(text, 5)
      set({ topTokens: { text, tokens } })
    } catch (e) {
      set({ error: describeError(e, 'the text') })
    }
  },
}))

export const useModel = <T,>(selector: (s: ModelState) => T) => useStore(modelStore, selector)
