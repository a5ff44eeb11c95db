// A workshop kit (`npm run workshop`) is the static site plus `workshop.json`, which lists the
// models and stimulus sets it carries. When the file is there the lab opens on the kit's first
// model and lists the kit's sets; on any other site the fetch simply finds nothing.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { stimuliStore } from './stimuliStore.ts'
import { parseStimulusJsonlStrict } from '../core/stimuli/jsonl.ts'
import type { SourceSpec } from '../core/model/service.ts'

export const WORKSHOP_FILE = 'workshop.json'
export const WORKSHOP_VERSION = 1

export interface WorkshopModel {
  /** Hub id (`org/name`) or the folder's name. */
  id: string
  title: string
  /** Folder of the model's files relative to the site root: `models/<id>/`. */
  path: string
  source: { kind: 'hub'; id: string; host: string; revision: string } | { kind: 'folder'; name: string }
  /** Every file of the model with its size in bytes (also in `<path>moral-lens-files.json`). */
  files: Record<string, number>
  bytes: number
  /** The dtypes the kit carries, with the bytes each needs. */
  dtypes: { dtype: string; bytes: number }[]
}

export interface WorkshopSet {
  id: string
  name: string
  kind: string
  /** Moral Lens JSONL, relative to the site root: `sets/<file>.jsonl`. */
  path: string
  items: number
  /** stimulusSetHash of the set: a set already in the lab (built-in, or kept from a visit) is not added twice. */
  hash: string
  builtin: boolean
}

export interface WorkshopManifest {
  moral_lens_workshop: typeof WORKSHOP_VERSION
  title: string
  created: string
  appVersion: string
  models: WorkshopModel[]
  sets: WorkshopSet[]
  /** Ids of the lab's own built-in models, also in the kit. */
  builtinModels: string[]
}

/** Checks the fields the lab relies on; the message names the field and what was expected. */
export function parseWorkshopManifest(value: unknown, file = WORKSHOP_FILE): WorkshopManifest {
  const fail = (where: string, expected: string): never => {
    throw new Error(`${file}: ${where}: expected ${expected}`)
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const safePath = (p: unknown, prefix: string) => typeof p === 'string' && p.startsWith(prefix) && !p.split('/').includes('..')
  if (!isObj(value)) return fail('the file', 'a JSON object')
  if (value.moral_lens_workshop !== WORKSHOP_VERSION) fail('moral_lens_workshop', `${WORKSHOP_VERSION}`)
  if (!Array.isArray(value.models)) fail('models', 'an array')
  if (!Array.isArray(value.sets)) fail('sets', 'an array')
  ;(value.models as unknown[]).forEach((m, i) => {
    if (!isObj(m)) return fail(`models[${i}]`, 'an object')
    if (typeof m.id !== 'string' || !m.id) fail(`models[${i}].id`, 'a model id')
    if (!safePath(m.path, 'models/') || !String(m.path).endsWith('/')) fail(`models[${i}].path`, 'a folder under models/ ending with "/"')
    if (!isObj(m.files)) fail(`models[${i}].files`, 'an object of file sizes')
  })
  ;(value.sets as unknown[]).forEach((s, i) => {
    if (!isObj(s)) return fail(`sets[${i}]`, 'an object')
    if (!safePath(s.path, 'sets/')) fail(`sets[${i}].path`, 'a file under sets/')
    if (typeof s.hash !== 'string') fail(`sets[${i}].hash`, 'the set hash')
  })
  const v = value as unknown as WorkshopManifest
  return { ...v, title: typeof v.title === 'string' ? v.title : 'Workshop', builtinModels: Array.isArray(v.builtinModels) ? v.builtinModels : [] }
}

/** Kit models live under models/, where the built-in models are, and are read the same way: the
 * service worker already keeps them, so the model worker's download cache is not used twice. */
export function kitModelSource(m: WorkshopModel): SourceSpec {
  return { kind: 'builtin', id: m.path.replace(/^models\//, '').replace(/\/$/, '') }
}

export interface WorkshopState {
  status: 'checking' | 'none' | 'ready' | 'error'
  kit?: WorkshopManifest
  error?: string
}

export const workshopStore = createStore<WorkshopState>()(() => ({ status: 'checking' }))
export const useWorkshop = <T,>(selector: (s: WorkshopState) => T) => useStore(workshopStore, selector)

function siteUrl(path: string): string {
  return new URL(path, globalThis.document?.baseURI ?? globalThis.location?.href).href
}

let kitRequest: Promise<WorkshopManifest | undefined> | undefined

/** The kit's manifest, or undefined when this site is not a workshop kit. Fetched once. */
export function workshopKit(): Promise<WorkshopManifest | undefined> {
  kitRequest ??= (async () => {
    try {
      const res = await fetch(siteUrl(WORKSHOP_FILE), { headers: { accept: 'application/json' } })
      // A development server answers unknown paths with index.html.
      if (!res.ok || !/json/.test(res.headers.get('content-type') ?? '')) {
        workshopStore.setState({ status: 'none' })
        return undefined
      }
      const kit = parseWorkshopManifest(await res.json())
      workshopStore.setState({ status: 'ready', kit })
      return kit
    } catch (e) {
      const message = (e as Error).message
      // Offline without a service worker: no kit can be read, and the lab opens as usual.
      if (e instanceof TypeError) workshopStore.setState({ status: 'none' })
      else {
        console.warn(`Moral Lens: ignoring the workshop kit: ${message}`)
        workshopStore.setState({ status: 'error', error: message })
      }
      return undefined
    }
  })()
  return kitRequest
}

/**
 * Adds the kit's stimulus sets to the Stimuli panel once the sets kept from earlier visits are
 * back (`restored`), skipping any the lab already has. On the first visit the kit's first set
 * becomes the active one.
 */
export async function addWorkshopSets(kit: WorkshopManifest, restored: Promise<unknown>): Promise<string[]> {
  await restored.catch(() => undefined)
  const added: string[] = []
  const has = (hash: string) => Object.values(stimuliStore.getState().hashes).includes(hash)
  for (const s of kit.sets) {
    if (has(s.hash)) continue
    try {
      const res = await fetch(siteUrl(s.path))
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const set = parseStimulusJsonlStrict(await res.text(), s.path)
      if (has(s.hash)) continue
      stimuliStore.getState().addSet(set)
      added.push(s.id)
    } catch (e) {
      console.warn(`Moral Lens: the workshop set ${s.path} could not be read: ${(e as Error).message}`)
    }
  }
  if (added.length && kit.sets.length) {
    const first = Object.entries(stimuliStore.getState().hashes).find(([, h]) => h === kit.sets[0].hash)
    if (first) stimuliStore.getState().setActive(first[0])
  }
  return added
}

/** Start-up: read the kit (if any) and add its sets after the restored ones. */
export async function startWorkshop(restored: Promise<unknown>): Promise<void> {
  const kit = await workshopKit()
  if (kit) await addWorkshopSets(kit, restored)
}
