// Stimulus sets in the tab: the built-in ones and what the user imported. Parsing happens in
// the import worker; this store keeps results and the browsing state.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink } from './modelWorker.ts'
import { importWorker } from './importWorker.ts'
import { jobsStore } from './jobs.ts'
import { BUILTIN_SETS } from '../core/stimuli/builtin/index.ts'
import { stimulusSetHash } from '../core/stimuli/hash.ts'
import type { StimulusSet } from '../core/stimuli/types.ts'
import type { StimulusFilter, StimulusSortKey } from '../core/stimuli/query.ts'
import type { ColumnMapping, FormatId, ImportOptions, ImportResult } from '../core/importers/types.ts'
import type { FileInspection } from '../core/importers/open.ts'
import type { ImportSource } from '../../workers/import.worker.ts'
import { SetLibrary } from '../core/stimuli/library.ts'
import { IndexedDbBackend } from '../core/store/indexeddb.ts'

let library: Promise<SetLibrary | undefined> | undefined
function setLibrary(): Promise<SetLibrary | undefined> {
  library ??= IndexedDbBackend.open({ name: 'moral-lens-sets' })
    .then((b) => new SetLibrary(b))
    .catch(() => undefined)
  return library
}

export interface PendingImport {
  source: ImportSource
  name: string
  format: FormatId | 'auto'
  options: ImportOptions
  inspection?: FileInspection
  result?: ImportResult
  error?: string
}

export interface StimuliState {
  sets: StimulusSet[]
  hashes: Record<string, string>
  activeId: string
  pending?: PendingImport
  importing?: { name: string; bytes: number; total?: number }
  filter: StimulusFilter
  sort: { key: StimulusSortKey; dir: 'asc' | 'desc' }
  page: number
  setActive(id: string): void
  /** Reads the file's head (format, headers) and opens the import dialog. */
  begin(source: ImportSource): Promise<void>
  setPending(p: Partial<PendingImport>): void
  /** Parses the whole file with the chosen format and options; the result waits for confirmation. */
  preview(): Promise<void>
  confirm(): void
  discard(): void
  cancelImport(): void
  removeSet(id: string): void
  /** Adds (and keeps) a set, e.g. one that came with imported activations. */
  addSet(set: StimulusSet): void
  /** Reads the sets imported in earlier visits. */
  restore(): Promise<void>
  setFilter(f: StimulusFilter): void
  setSort(key: StimulusSortKey): void
  setPage(p: number): void
}

const IMPORT_JOB = 'import'
/** The newest read started, and the one whose outcome may still land (0: none, the settings changed since). */
let readId = 0
let wantedRead = 0
const ACTIVE_KEY = 'moral-lens.active-set'

function rememberActive(id: string) {
  try {
    localStorage.setItem(ACTIVE_KEY, id)
  } catch {
    // Private mode: the choice lasts for this visit.
  }
}

function savedActive(): string | undefined {
  try {
    return localStorage.getItem(ACTIVE_KEY) ?? undefined
  } catch {
    return undefined
  }
}
const MAPPING_PREFIX = 'moral-lens.mapping.'

export function rememberedMapping(key: string): ColumnMapping | undefined {
  try {
    const raw = localStorage.getItem(MAPPING_PREFIX + key)
    return raw ? (JSON.parse(raw) as ColumnMapping) : undefined
  } catch {
    return undefined
  }
}

function uniqueId(sets: StimulusSet[], id: string): string {
  if (!sets.some((s) => s.id === id)) return id
  for (let k = 2; ; k++) if (!sets.some((s) => s.id === `${id}#${k}`)) return `${id}#${k}`
}

export const stimuliStore = createStore<StimuliState>()((set, get) => ({
  sets: [...BUILTIN_SETS],
  hashes: Object.fromEntries(BUILTIN_SETS.map((s) => [s.id, stimulusSetHash(s)])),
  activeId: BUILTIN_SETS.find((b) => b.id === savedActive())?.id ?? BUILTIN_SETS[0].id,
  filter: {},
  sort: { key: 'index', dir: 'asc' },
  page: 0,

  setActive: (id) => {
    rememberActive(id)
    set({ activeId: id, filter: {}, page: 0, sort: { key: 'index', dir: 'asc' } })
  },

  async begin(source) {
    const name = 'file' in source ? source.file.name : (source.name ?? source.url)
    set({ pending: { source, name, format: 'auto', options: {} } })
    try {
      const inspection = await importWorker().inspect(source)
      const mapping = inspection.mappingKey ? rememberedMapping(inspection.mappingKey) : undefined
      const cur = get().pending
      // Discarded, or another file dropped meanwhile.
      if (cur?.source !== source) return
      // A format the user picked while the head was being read wins over the detected one.
      const format: FormatId | 'auto' = cur.format !== 'auto' ? cur.format : inspection.detection ? 'auto' : 'generic'
      set({
        pending: {
          source,
          name: inspection.name,
          format,
          inspection,
          options: { generic: { mapping: mapping ?? inspection.suggested } },
          error: inspection.detection || inspection.labJsonl ? undefined : inspection.detectionError,
        },
      })
      if (cur.format !== 'auto' || inspection.labJsonl || inspection.detection) await get().preview()
    } catch (e) {
      set({ pending: { source, name, format: 'auto', options: {}, error: (e as Error).message } })
    }
  },

  setPending: (p) => {
    // A read still going with the old settings stops and must not land on the new ones.
    wantedRead = 0
    void importWorker().cancel(`${IMPORT_JOB}-${readId}`)
    set((s) => (s.pending ? { pending: { ...s.pending, ...p, result: undefined } } : {}))
  },

  async preview() {
    const p = get().pending
    if (!p) return
    // The superseded read stops; each read has its own job id in the worker.
    void importWorker().cancel(`${IMPORT_JOB}-${readId}`)
    const request = ++readId
    wantedRead = request
    set({ importing: { name: p.name, bytes: 0 }, pending: { ...p, result: undefined, error: undefined } })
    jobsStore.getState().upsert({ id: IMPORT_JOB, label: `Reading ${p.name}`, cancel: () => get().cancelImport() })
    try {
      const result = await importWorker().importFile(
        p.source,
        { format: p.format, options: p.options },
        `${IMPORT_JOB}-${request}`,
        Comlink.proxy((bytes: number, total?: number) => {
          set({ importing: { name: p.name, bytes, total } })
          jobsStore.getState().upsert({ id: IMPORT_JOB, label: `Reading ${p.name}`, fraction: total ? bytes / total : undefined, cancel: () => get().cancelImport() })
        }),
      )
      const cur = get().pending
      if (cur && cur.source === p.source && request === wantedRead) set({ pending: { ...cur, result } })
    } catch (e) {
      const msg = (e as Error).message
      const cur = get().pending
      if (cur && cur.source === p.source && request === wantedRead)
        set({ pending: { ...cur, error: /abort|cancel/i.test(msg) ? 'Reading the file was cancelled.' : msg } })
    } finally {
      if (request === readId) {
        set({ importing: undefined })
        jobsStore.getState().remove(IMPORT_JOB)
      }
    }
  },

  confirm() {
    const p = get().pending
    if (!p?.result) return
    const sets = get().sets
    const imported = { ...p.result.set, id: uniqueId(sets, p.result.set.id) }
    const mapping = p.options.generic?.mapping
    if (p.inspection?.mappingKey && mapping && (p.format === 'generic' || p.result.format === 'generic'))
      localStorage.setItem(MAPPING_PREFIX + p.inspection.mappingKey, JSON.stringify(mapping))
    set({ pending: undefined })
    get().addSet(imported)
  },

  addSet(s0) {
    const sets = get().sets
    const added = { ...s0, id: uniqueId(sets, s0.id) }
    set({ sets: [...sets, added], hashes: { ...get().hashes, [added.id]: stimulusSetHash(added) }, activeId: added.id, filter: {}, page: 0 })
    rememberActive(added.id)
    void setLibrary().then((lib) => lib?.save(added))
  },

  async restore() {
    const lib = await setLibrary()
    if (!lib) return
    const stored = await lib.list()
    const have = new Set(get().sets.map((x) => x.id))
    const fresh = stored.filter((x) => !have.has(x.id))
    if (!fresh.length) return
    const wanted = savedActive()
    set({
      sets: [...get().sets, ...fresh],
      hashes: { ...get().hashes, ...Object.fromEntries(fresh.map((x) => [x.id, stimulusSetHash(x)])) },
      ...(wanted && fresh.some((x) => x.id === wanted) ? { activeId: wanted } : {}),
    })
  },

  discard: () => set({ pending: undefined }),

  cancelImport() {
    void importWorker().cancel(`${IMPORT_JOB}-${readId}`)
  },

  removeSet(id) {
    if (BUILTIN_SETS.some((s) => s.id === id)) return
    const sets = get().sets.filter((s) => s.id !== id)
    set({ sets, activeId: get().activeId === id ? sets[0].id : get().activeId })
    void setLibrary().then((lib) => lib?.delete(id))
  },

  setFilter: (f) => set({ filter: f, page: 0 }),
  setSort: (key) => set((s) => ({ sort: { key, dir: s.sort.key === key && s.sort.dir === 'asc' ? 'desc' : 'asc' }, page: 0 })),
  setPage: (p) => set({ page: p }),
}))

export const useStimuli = <T,>(selector: (s: StimuliState) => T) => useStore(stimuliStore, selector)

export function activeSet(s: StimuliState): StimulusSet {
  return s.sets.find((x) => x.id === s.activeId) ?? s.sets[0]
}
