// Share links at the store level: what the lab holds becomes a ShareConfig (src/core/share), and a
// link's config is applied back to the stores. Which panel re-runs what is decided here, not in React.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import {
  LINK_LIMITS,
  isImportedSet,
  parseShareHash,
  SHARE_PANELS,
  ShareEncodeError,
  shareModelSource,
  shareSetRef,
  shareUrl,
  type ShareConfigV1,
  type ShareError,
  type SharePanel,
  type ShareLimits,
  type ShareModelSource,
  type ShareSaeTrainConfig,
} from '../core/share/link.ts'
import type { ValueKind } from '../core/stimuli/types.ts'
import { modelStore } from './modelStore.ts'
import { activeSet, stimuliStore } from './stimuliStore.ts'
import { typicalityStore } from './typicalityStore.ts'
import { entanglementStore } from './entanglementStore.ts'
import { elicitationStore } from './elicitationStore.ts'
import { saeStore } from './saeStore.ts'
import { stimulusSetHash } from '../core/stimuli/hash.ts'

export interface MadeLink {
  url: string
  /** What the link leaves out and why (private data, keys, pasted text). */
  omitted: string[]
}

export interface OpenedLink {
  panel: SharePanel
  status: 'restoring' | 'done'
  /** What was restored, re-run or reused, and what the recipient still has to do. */
  notes: string[]
}

export interface ShareState {
  made?: MadeLink
  makeError?: string
  opened?: OpenedLink
  /** A link that could not be opened: at start-up the lab opened clean, later nothing was changed. */
  linkError?: ShareError & { when: 'startup' | 'navigation' }
  makeLink(): void
  closeDialog(): void
  dismiss(): void
}

export const shareStore = createStore<ShareState>()((set) => ({
  makeLink() {
    try {
      const { config, omitted } = currentShareConfig()
      set({ made: { url: shareUrl(shareBaseUrl(), config), omitted }, makeError: undefined })
    } catch (e) {
      set({ made: undefined, makeError: e instanceof ShareEncodeError ? e.message : `The link could not be made: ${(e as Error).message}` })
    }
  },
  closeDialog: () => set({ made: undefined, makeError: undefined }),
  dismiss: () => set({ opened: undefined, linkError: undefined }),
}))

export const useShare = <T,>(selector: (s: ShareState) => T) => useStore(shareStore, selector)

export function currentPanel(): SharePanel {
  const id = (globalThis.location?.hash ?? '').replace(/^#\/?/, '').split('?')[0] as SharePanel
  return SHARE_PANELS.includes(id) ? id : 'model'
}

/** The page without its query, except a hub mirror, which the recipient needs to reach the same files. */
function shareBaseUrl(): string {
  const here = new URL(location.href)
  const base = new URL(here.pathname, here.origin)
  const hub = here.searchParams.get('hub')
  if (hub) base.searchParams.set('hub', hub)
  return base.href
}

/** The lab's current experiment as a link configuration, and what it leaves out. */
export function currentShareConfig(limits: ShareLimits = LINK_LIMITS): { config: ShareConfigV1; omitted: string[] } {
  const omitted: string[] = []
  const config: ShareConfigV1 = { v: 1, panel: currentPanel() }
  const m = modelStore.getState()
  if (m.source && m.info) {
    try {
      config.model = { source: shareModelSource(m.source), dtype: m.info.dtype, device: m.devicePref }
    } catch (e) {
      if (!(e instanceof ShareEncodeError)) throw e
      omitted.push(e.message)
    }
  }
  const st = stimuliStore.getState()
  const active = activeSet(st)
  config.set = shareSetRef(active, st.hashes[active.id], limits)
  if (config.set.kind === 'imported')
    omitted.push(
      isImportedSet(active)
        ? `The rows of “${active.name}” stay on this computer: the link names the set and its content hash, and the recipient opens the same file in the Stimuli panel.`
        : `“${active.name}” is too big to travel inside a link (at most ${limits.inlineMaxItems} items): the link names it by content hash; save a notebook to share the set itself.`,
    )

  const t = typicalityStore.getState()
  config.typicality = { ...t.options, layer: t.layer, category: t.category, colorBy: t.colorBy }
  const e = entanglementStore.getState()
  config.entanglement = {
    frames: e.frames,
    seed: e.seed,
    scope: e.scope,
    ablationLayer: e.ablationLayer,
    projectionLayer: e.projectionLayer,
    projectionContext: e.projectionContext as ValueKind,
    sortBy: e.sortBy,
  }
  const el = elicitationStore.getState()
  const remoteReady = el.scorer === 'remote' && /^https?:\/\/\S+$/.test(el.remote.baseUrl.trim()) && el.remote.model.trim() !== ''
  if (el.scorer === 'remote' && !remoteReady) omitted.push('The completions endpoint is not filled in, so the link uses the loaded model for ICM.')
  config.elicitation = {
    options: dropUndefined({ ...el.options }),
    scorer: remoteReady ? { kind: 'remote', baseUrl: el.remote.baseUrl.trim(), model: el.remote.model.trim() } : 'model',
  }
  if (el.scorer === 'remote' && el.remote.apiKey) omitted.push('The API key of the completions endpoint is never put in a link: the recipient types their own.')
  const s = saeStore.getState()
  const { hookName: _h, hookLayer: _l, modelName: _n, ...trainConfig } = s.config as Record<string, unknown>
  config.features = dropUndefined({
    layer: s.layer,
    hookKind: s.hookKind,
    corpusSetIds: s.corpusSetIds,
    trainConfig: dropUndefined(trainConfig) as ShareSaeTrainConfig,
    backend: s.backendPref,
    selectedFeature: s.selected,
    selection: s.selection,
    chosen: s.chosen,
    positions: s.positions,
    editPenalty: s.editPenalty,
  })
  if (s.extraText.trim()) omitted.push('Text pasted into the SAE corpus is not put in a link.')
  return { config, omitted }
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

export function showPanel(panel: SharePanel) {
  history.replaceState(null, '', `${location.pathname}${location.search}#/${panel}`)
  dispatchEvent(new HashChangeEvent('hashchange'))
}

/**
 * A share link pasted into a tab that already runs the lab (only the fragment changes, so the page
 * does not reload): a bad one changes nothing; a good one loads its model if needed and applies.
 */
export async function openLinkInPlace(hash: string, previousUrl: string): Promise<void> {
  const linked = parseShareHash(hash)
  if (!linked) return
  const before = new URL(previousUrl).hash.replace(/^#\/?/, '').split('?')[0] as SharePanel
  history.replaceState(null, '', `${location.pathname}${location.search}#/${linked.ok ? linked.config.panel : SHARE_PANELS.includes(before) ? before : 'model'}`)
  if (!linked.ok) {
    shareStore.setState({ linkError: { ...linked.error, when: 'navigation' }, opened: undefined })
    dispatchEvent(new HashChangeEvent('hashchange'))
    return
  }
  shareStore.setState({ linkError: undefined })
  const model = linked.config.model
  if (model && !isLoaded(model.source)) {
    shareStore.setState({ opened: { panel: linked.config.panel, status: 'restoring', notes: [] } })
    await modelStore.getState().load(model.source, { device: model.device, dtype: model.dtype })
  }
  await applyShareConfig(linked.config)
}

/**
 * Applies a link's settings once the model has loaded and the saved sets are back, then re-runs the
 * linked panel's analysis (or shows the result this tab already has). Heavy runs (SAE training,
 * ICM) wait for the recipient's click.
 */
export async function applyShareConfig(config: ShareConfigV1): Promise<void> {
  const notes: string[] = []
  shareStore.setState({ opened: { panel: config.panel, status: 'restoring', notes } })
  const m = modelStore.getState()
  if (config.model && !m.info) notes.push('The linked model could not be loaded (see the message above); nothing was re-run.')
  else if (config.model && !isLoaded(config.model.source))
    notes.push(`The linked model could not be opened, so ${m.info?.sourceLabel} is loaded instead; nothing was re-run.`)
  const setReady = applySettings(config, notes)
  showPanel(config.panel)

  const sameModel = !config.model || isLoaded(config.model.source)
  if (modelStore.getState().info && setReady && sameModel) {
    if (config.panel === 'typicality') {
      const how = await typicalityStore.getState().runOrReuse()
      const t = typicalityStore.getState()
      if (t.error) notes.push(`The analysis stopped: ${t.error}`)
      else {
        notes.push(how === 'shown' ? 'The result this tab already had for these settings is shown.' : t.reusedCapture ? 'Re-computed from the activations this browser had stored.' : 'Re-computed: the activations were captured afresh.')
        const view = config.typicality
        if (view) await t.setView(dropUndefined({ layer: view.layer, category: view.category, colorBy: view.colorBy }))
      }
    } else if (config.panel === 'entanglement') {
      await entanglementStore.getState().run()
      const e = entanglementStore.getState()
      notes.push(e.error ? `The probes stopped: ${e.error}` : 'The probes were re-run with the linked settings; press “Ablate” to repeat the ablation.')
    } else if (config.panel === 'features') notes.push('The SAE settings are restored; press the run button to train with them (training is not started for you).')
    else if (config.panel === 'elicitation') notes.push('The ICM settings are restored; press Run to label the claims with them.')
  }
  shareStore.setState({ opened: { panel: config.panel, status: 'done', notes: [...notes] } })
}

function isLoaded(source: ShareModelSource): boolean {
  const loaded = modelStore.getState().source
  if (!loaded || loaded.kind === 'local') return false
  return JSON.stringify(shareModelSource(loaded)) === JSON.stringify(source)
}

/**
 * Puts a configuration's set and panel settings into the stores without running anything (share
 * links and notebooks). Returns false when the set it names is not in this browser.
 */
export function applySettings(config: ShareConfigV1, notes: string[]): boolean {
  let setReady = true
  const st = stimuliStore.getState()
  if (config.set?.kind === 'builtin') st.setActive(config.set.id)
  else if (config.set?.kind === 'inline') {
    const inline = config.set.set
    const hash = stimulusSetHash(inline)
    const same = st.sets.find((x) => st.hashes[x.id] === hash)
    if (same) st.setActive(same.id)
    else st.addSet(inline)
    notes.push(`It carried its own small set, “${inline.name}” (${inline.items.length} items).`)
  } else if (config.set?.kind === 'imported') {
    const wanted = config.set
    const found = st.sets.find((x) => st.hashes[x.id] === wanted.hash)
    if (found) st.setActive(found.id)
    else {
      setReady = false
      notes.push(
        `This experiment used an imported set, “${wanted.name}”, which is not in this browser. Open the same file in the Stimuli panel (its content must hash to ${wanted.hash.slice(0, 12)}…); nothing was re-run.`,
      )
    }
  }
  if (config.typicality) {
    const { layer: _l, category: _c, colorBy: _b, ...options } = config.typicality
    typicalityStore.getState().setOptions(options)
  }
  if (config.entanglement) {
    const { frames, seed, scope, ablationLayer, projectionLayer, projectionContext, sortBy } = config.entanglement
    entanglementStore.getState().setOptions(dropUndefined({ frames, seed, scope, ablationLayer, projectionLayer, projectionContext, sortBy }))
  }
  if (config.elicitation) {
    const el = elicitationStore.getState()
    el.setOptions(config.elicitation.options as Partial<typeof el.options>)
    const sc = config.elicitation.scorer
    if (sc === 'model') el.setScorer('model')
    else {
      el.setScorer('remote')
      el.setRemote({ baseUrl: sc.baseUrl, model: sc.model })
      notes.push(`ICM scores through ${sc.baseUrl} (${sc.model}); type your own API key if the endpoint needs one.`)
    }
  }
  if (config.features) {
    const f = config.features
    const s = saeStore.getState()
    s.setOptions(dropUndefined({ layer: f.layer, hookKind: f.hookKind, corpusSetIds: f.corpusSetIds, backendPref: f.backend, positions: f.positions, chosen: f.chosen, editPenalty: f.editPenalty }))
    s.setConfig(f.trainConfig)
    if (f.selection) s.setSelection(f.selection)
  }
  return setReady
}
