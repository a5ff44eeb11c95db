import { describe, expect, it } from 'vitest'
import 'fake-indexeddb/auto'
import { SetLibrary } from '../../../src/core/stimuli/library.ts'
import { IndexedDbBackend } from '../../../src/core/store/indexeddb.ts'
import { MORAL_CLAIMS_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'

describe('SetLibrary', () => {
  it('keeps imported sets across a re-opened database, unchanged', async () => {
    const set = { ...MORAL_CLAIMS_SET, id: 'import:normbank:mine.jsonl', name: 'mine' }
    const a = new SetLibrary(await IndexedDbBackend.open({ name: 'lib-test' }))
    await a.save(set)
    const b = new SetLibrary(await IndexedDbBackend.open({ name: 'lib-test' }))
    const sets = await b.list()
    expect(sets.map((s) => s.id)).toEqual([set.id])
    expect(stimulusSetHash(sets[0])).toBe(stimulusSetHash(set))
    await b.delete(set.id)
    expect(await b.list()).toEqual([])
  })
})
