// Lab notebooks at the store level: the stores' results become one file (src/core/notebook), and a
// file's results go back into the stores as they were saved, without re-running anything.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import {
  createNotebook,
  notebookFileName,
  provenanceFrom,
  readNotebook,
  saeAttachments,
  saeFilesFromAttachments,
  writeNotebook,
  type Notebook,
  type NotebookAttachments,
  type NotebookResults,
  type NotebookTypicalityRun,
} from '../core/notebook/notebook.ts'
import { NOTEBOOK_CONFIG_LIMITS } from '../core/share/link.ts'
import { SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME } from '../core/sae/saelens.ts'
import { modelStore } from './modelStore.ts'
import { typicalityStore, type SavedTypicalityView } from './typicalityStore.ts'
import { entanglementStore } from './entanglementStore.ts'
import { elicitationStore } from './elicitationStore.ts'
import { saeStore } from './saeStore.ts'
import { applySettings, currentShareConfig, showPanel } from './share.ts'

declare const __APP_VERSION__: string

export interface OpenedNotebook {
  fileName: string
  createdAt: string
  app: { name: string; version: string }
  provenance: Notebook['provenance']
  notes: string[]
  warnings: string[]
  /** SAELens files that came with the notebook, opened on request (browsing needs the corpus captured again). */
  sae?: { cfgJson: string; weights: Uint8Array }
}

export interface NotebookState {
  dialog: boolean
  includeSae: boolean
  busy?: 'writing' | 'reading'
  error?: string
  /** The last notebook opened: its results are on screen until a panel runs again. */
  opened?: OpenedNotebook
  setDialog(open: boolean): void
  setIncludeSae(v: boolean): void
  /** The notebook file of the lab as it is now. */
  write(notes?: string[]): Promise<{ bytes: Uint8Array; fileName: string } | undefined>
  open(file: File): Promise<boolean>
  /** Opens the notebook's SAE on the loaded model: the corpus is captured again so its features can be browsed. */
  openAttachedSae(): Promise<void>
  dismiss(): void
}

/** A typicality run as a notebook keeps it; the one on screen carries its scatter and map. */
type SavedRun = NotebookTypicalityRun & { view?: SavedTypicalityView }

export const notebookStore = createStore<NotebookState>()((set, get) => ({
  dialog: false,
  includeSae: false,
  setDialog: (dialog) => set({ dialog, error: undefined }),
  setIncludeSae: (includeSae) => set({ includeSae }),
  dismiss: () => set({ opened: undefined }),

  async write(notes) {
    set({ busy: 'writing', error: undefined })
    try {
      const { config } = currentShareConfig(NOTEBOOK_CONFIG_LIMITS)
      const m = modelStore.getState()
      let attachments: NotebookAttachments = {}
      const results = collectResults()
      if (get().includeSae && saeStore.getState().sae) {
        // An SAE shown from a notebook and not opened since is saved from the notebook's own files.
        const fromNotebook = saeStore.getState().sae === restoredSae ? get().opened?.sae : undefined
        const files = fromNotebook ?? (await saeStore.getState().saeFiles())
        if (files) {
          attachments = saeAttachments(files)
          results.features = { ...results.features, saeFilesAttached: true }
        }
      }
      const nb = createNotebook({
        config,
        results,
        provenance: provenanceFrom(m.info, m.env, navigator.userAgent),
        app: { version: typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : 'dev' },
        notes,
      })
      return { bytes: writeNotebook(nb, attachments), fileName: notebookFileName(m.info?.sourceLabel) }
    } catch (e) {
      set({ error: `The notebook could not be written: ${(e as Error).message}` })
      return undefined
    } finally {
      set({ busy: undefined })
    }
  },

  async openAttachedSae() {
    const files = get().opened?.sae
    if (!files) return
    // The notebook's corpus summary describes activations this tab does not hold.
    saeStore.setState({ corpus: undefined })
    await saeStore.getState().loadSae([
      new File([files.cfgJson], SAE_CFG_FILENAME, { type: 'application/json' }),
      new File([files.weights as Uint8Array<ArrayBuffer>], SAE_WEIGHTS_FILENAME),
    ])
  },

  async open(file) {
    set({ busy: 'reading', error: undefined })
    try {
      const read = readNotebook(new Uint8Array(await file.arrayBuffer()), file.name)
      if (!read.ok) {
        // Nothing on screen is touched by a file that cannot be read.
        set({ error: read.message })
        return false
      }
      const nb = read.notebook
      const notes: string[] = []
      applySettings(nb.config, notes)
      restoreResults(nb.results, notes)
      const sae = saeFilesFromAttachments(read.attachments)
      if (sae) notes.push('The SAE’s weights are attached: open them to browse its features on the loaded model.')
      showPanel(nb.config.panel)
      set({
        dialog: false,
        opened: { fileName: file.name, createdAt: nb.createdAt, app: nb.app, provenance: nb.provenance, notes, warnings: read.warnings, sae },
      })
      return true
    } catch (e) {
      set({ error: `${file.name}: ${(e as Error).message}` })
      return false
    } finally {
      set({ busy: undefined })
    }
  },
}))

export const useNotebook = <T,>(selector: (s: NotebookState) => T) => useStore(notebookStore, selector)

function collectResults(): NotebookResults {
  const results: NotebookResults = {}
  const t = typicalityStore.getState()
  if (t.results.length) {
    results.typicality = t.results.map((r): SavedRun =>
      r.key === t.currentKey ? { ...r, view: { layer: t.layer, category: t.category, colorBy: t.colorBy, projection: t.projection, map: t.map } } : r,
    )
  }
  const e = entanglementStore.getState()
  if (e.probes) results.entanglement = { modelLabel: e.modelLabel, randomWeights: e.randomWeights, probes: e.probes, ablation: e.ablation }
  const el = elicitationStore.getState()
  if (el.itemIds.length && (el.status === 'done' || el.labels.some((l) => l !== null))) {
    results.elicitation = {
      setName: el.setName,
      status: el.result ? 'done' : 'partial',
      options: el.options,
      result: el.result,
      itemIds: el.itemIds,
      itemTexts: el.itemTexts,
      labels: el.labels,
      gold: el.gold.map((g) => g ?? null),
      points: el.points,
      flips: el.flips,
      accepted: el.accepted,
      rejected: el.rejected,
      forwardPasses: el.forwardPasses,
      warnings: el.warnings,
    }
  }
  const s = saeStore.getState()
  if (s.sae || s.corpus) {
    const b = s.behaviour
    results.features = {
      hook: s.hookName(),
      corpus: s.corpus,
      backend: s.backend,
      trainRun: s.trainRun,
      history: s.history,
      sae: s.sae,
      evaluation: s.evaluation,
      splice: s.splice,
      labels: s.labels,
      labelledSet: s.labelledSet,
      moral: s.moral,
      chosen: s.chosen,
      realignment: s.realignment,
      positions: s.positions,
      editPenalty: s.editPenalty,
      diagnostics: s.diagnostics,
      behaviour: b.trials.length
        ? { editLabel: b.editLabel, prompts: b.prompts, maxTokens: b.maxTokens, temperature: b.temperature, seed: b.seed, trials: b.trials, judgements: b.judgements, modelJudgements: b.modelJudgements }
        : undefined,
    }
  }
  return results
}

/** The SAE summary a notebook put on screen (identity: anything trained or opened since replaces it). */
let restoredSae: unknown

function restoreResults(r: NotebookResults, notes: string[]): void {
  if (r.typicality?.length) {
    const runs = r.typicality as SavedRun[]
    const current = runs.find((x) => x.view) ?? runs[runs.length - 1]
    typicalityStore.getState().showSaved(
      runs.map(({ view: _v, ...run }) => run),
      current.key,
      current.view,
    )
    notes.push(`${runs.length} moral typicality run${runs.length === 1 ? '' : 's'}.`)
  }
  if (r.entanglement) {
    entanglementStore.setState({ probes: r.entanglement.probes, ablation: r.entanglement.ablation, modelLabel: r.entanglement.modelLabel, randomWeights: r.entanglement.randomWeights, error: undefined })
    notes.push(r.entanglement.ablation ? 'Value entanglement probes and the ablation.' : 'Value entanglement probes.')
  }
  if (r.elicitation) {
    const el = r.elicitation
    elicitationStore.setState({
      status: 'done',
      setName: el.setName,
      result: el.result,
      itemIds: el.itemIds,
      itemTexts: el.itemTexts,
      labels: el.labels,
      gold: el.gold.map((g) => g ?? undefined),
      points: el.points ?? [],
      flips: el.flips ?? [],
      lastChanged: [],
      accepted: el.accepted ?? 0,
      rejected: el.rejected ?? 0,
      forwardPasses: el.forwardPasses ?? 0,
      warnings: el.warnings ?? [],
      error: undefined,
    })
    notes.push(el.status === 'done' ? 'ICM labels and baselines.' : 'ICM labels of a run that was stopped.')
  }
  if (r.features) {
    const f = r.features
    restoredSae = f.sae
    saeStore.setState({
      corpus: f.corpus as never,
      backend: f.backend,
      trainRun: f.trainRun,
      history: f.history ?? [],
      sae: f.sae,
      evaluation: f.evaluation,
      splice: f.splice,
      labels: f.labels,
      labelledSet: f.labelledSet,
      moral: f.moral,
      chosen: f.chosen ?? [],
      realignment: f.realignment,
      diagnostics: f.diagnostics,
      statsReady: false,
      error: undefined,
      ...(f.behaviour ? { behaviour: { ...saeStore.getState().behaviour, ...f.behaviour, modelJudged: f.behaviour.modelJudgements.length > 0 } } : {}),
    })
    notes.push('SAE training curves, evaluation and moral features.')
  }
}
