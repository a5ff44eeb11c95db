// Stored activations as the Stimuli panel shows them; all storage work happens in the model worker.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink, modelWorker } from './modelWorker.ts'
import { jobsStore } from './jobs.ts'
import { stimuliStore, activeSet } from './stimuliStore.ts'
import type { CaptureSummary, StorageDtype } from '../core/store/types.ts'
import type { CapturePlan } from '../core/store/ensure.ts'
import type { HookKind } from '../core/hooks/locate.ts'
import type { Pooling } from '../core/hooks/capture.ts'
import { downloadText } from '../ui/plots/export.ts'

export interface ActivationsState {
  captures: CaptureSummary[]
  hookKinds: HookKind[]
  pooling: Pooling
  storageDtype: StorageDtype
  plan?: CapturePlan
  busy: boolean
  error?: string
  message?: string
  setOptions(o: Partial<Pick<ActivationsState, 'hookKinds' | 'pooling' | 'storageDtype'>>): void
  refresh(): Promise<void>
  estimate(): Promise<void>
  capture(): Promise<void>
  cancel(): void
  remove(id: string): Promise<void>
  removeAll(): Promise<void>
  exportCapture(id: string): Promise<void>
  importFiles(files: File[]): Promise<void>
}

const JOB = 'store-capture'

function download(bytes: Uint8Array, name: string) {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export const activationsStore = createStore<ActivationsState>()((set, get) => ({
  captures: [],
  hookKinds: ['resid_post'],
  pooling: 'last',
  storageDtype: 'float32',
  busy: false,

  setOptions: (o) => set({ ...o, plan: undefined }),

  async refresh() {
    try {
      set({ captures: await modelWorker().listCaptures() })
    } catch (e) {
      set({ error: (e as Error).message })
    }
  },

  async estimate() {
    const { hookKinds, pooling, storageDtype } = get()
    try {
      set({ plan: await modelWorker().planCapture(activeSet(stimuliStore.getState()), { hooks: hookKinds, pooling, storageDtype }), error: undefined })
    } catch (e) {
      set({ error: (e as Error).message })
    }
  },

  async capture() {
    const { hookKinds, pooling, storageDtype } = get()
    const stimuli = activeSet(stimuliStore.getState())
    set({ busy: true, error: undefined, message: undefined })
    const cancel = () => get().cancel()
    jobsStore.getState().upsert({ id: JOB, label: `Capturing ${stimuli.name}`, fraction: 0, cancel })
    try {
      const r = await modelWorker().ensureCapture(
        stimuli,
        { hooks: hookKinds, pooling, storageDtype, batchSize: 8 },
        JOB,
        Comlink.proxy((done: number, total: number) => jobsStore.getState().upsert({ id: JOB, label: `Capturing ${stimuli.name}`, fraction: done / total, cancel })),
      )
      set({ message: r.reused ? 'These activations were already stored.' : `Stored ${r.captured.length} hooks.`, plan: undefined })
      await get().refresh()
    } catch (e) {
      const msg = (e as Error).message
      if (!/abort|cancel/i.test(msg)) set({ error: msg })
    } finally {
      set({ busy: false })
      jobsStore.getState().remove(JOB)
    }
  },

  cancel() {
    void modelWorker().cancelJob(JOB)
  },

  async remove(id) {
    await modelWorker().deleteCapture(id)
    await get().refresh()
  },

  async removeAll() {
    await modelWorker().deleteAllCaptures()
    await get().refresh()
  },

  async exportCapture(id) {
    const c = get().captures.find((x) => x.id === id)
    const s = stimuliStore.getState()
    const set_ = c ? s.sets.find((x) => s.hashes[x.id] === c.key.setHash) : undefined
    try {
      const files = await modelWorker().exportCapture(id, set_)
      for (const f of files) download(f.bytes, f.fileName)
      if (!set_) downloadText('The stimulus set of this capture is not loaded in this tab, so it was not exported with it.\n', 'NOTE.txt')
    } catch (e) {
      set({ error: (e as Error).message })
    }
  },

  async importFiles(files) {
    const st = files.find((f) => f.name.endsWith('.safetensors'))
    const jsonl = files.find((f) => f.name.endsWith('.jsonl'))
    if (!st) return set({ error: 'Choose a .safetensors file exported by Moral Lens (and, optionally, its .stimuli.jsonl).' })
    try {
      const r = await modelWorker().importCapture(new Uint8Array(await st.arrayBuffer()), jsonl ? await jsonl.text() : undefined, st.name)
      if (r.set) {
        const s = stimuliStore.getState()
        if (!Object.values(s.hashes).includes(r.summary.key.setHash)) s.addSet(r.set)
      }
      set({ message: `Imported ${r.summary.hooks.length} hooks from ${st.name}.`, error: undefined })
      await get().refresh()
    } catch (e) {
      set({ error: (e as Error).message })
    }
  },
}))

export const useActivations = <T,>(selector: (s: ActivationsState) => T) => useStore(activationsStore, selector)
