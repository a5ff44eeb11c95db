// Imported stimulus sets kept in the browser, so a reload finds them (and the activations
// stored for them) again.
import type { StorageBackend } from '../store/backend.ts'
import { validateStimulusSet } from './validate.ts'
import type { StimulusSet } from './types.ts'

const PREFIX = 'moral-lens/sets/'

export class SetLibrary {
  constructor(private readonly backend: StorageBackend) {}

  async list(): Promise<StimulusSet[]> {
    const entries = await this.backend.listMeta(PREFIX)
    const out: StimulusSet[] = []
    for (const e of entries) {
      const { set } = validateStimulusSet(e.value, e.key.slice(PREFIX.length))
      if (set) out.push(set)
    }
    return out
  }

  async save(set: StimulusSet): Promise<void> {
    await this.backend.write({ putMeta: [{ key: PREFIX + set.id, value: set }] })
  }

  async delete(id: string): Promise<void> {
    await this.backend.write({ deleteMeta: [PREFIX + id] })
  }
}
