import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { main } from '../../src/cli/lab.ts'
import { bufferIo } from '../../src/cli/io.ts'
import { MORAL_TYPICALITY_SET } from '../../src/core/stimuli/builtin/index.ts'
import { stimulusSetToJsonl, parseStimulusJsonl } from '../../src/core/stimuli/jsonl.ts'
import { stimulusSetHash } from '../../src/core/stimuli/hash.ts'
import { writeSafetensors, floatTensor } from '../../src/core/formats/safetensors.ts'
import { computeTypicalityDiagnostics } from '../../src/core/typicality/diagnostics.ts'
import { Rng } from '../../src/core/random.ts'
import { tempDir } from './helpers.ts'

async function lab(...argv: string[]) {
  const io = bufferIo()
  const code = await main(argv, io)
  return { code, out: io.out, err: io.err }
}

const tmp = tempDir()
afterAll(() => tmp.remove())

describe('lab stimuli', () => {
  it('prints the import summary as JSON and writes the set as JSONL', async () => {
    const out = join(tmp.dir, 'cm.jsonl')
    const r = await lab('stimuli', 'tests/fixtures/importers/ethics-cm-malformed.csv', '--out', out)
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.out)
    expect(Object.keys(summary)).toEqual(['format', 'kept', 'labels', 'dropped'])
    expect(summary.format).toBe('ethics-cm')
    expect(summary.dropped.length).toBeGreaterThan(0)
    expect(summary.dropped[0]).toEqual({ line: expect.any(Number), reason: expect.any(String) })
    const set = parseStimulusJsonl(readFileSync(out, 'utf8')).set!
    expect(set.items).toHaveLength(summary.kept)
  })

  it('fails with exit code 1 and a message naming the file, line and expectation', async () => {
    const r = await lab('stimuli', 'tests/fixtures/importers/generic.csv', '--format', 'social-chem')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/generic\.csv line 1: expected the Social-Chemistry-101 header/)
    expect((await lab('stimuli', 'tests/fixtures/importers/empty.csv')).err).toMatch(/empty\.csv is empty/)
    expect((await lab('stimuli', 'no-such-file.tsv')).code).toBe(1)
    expect((await lab('stimuli', 'tests/fixtures/importers/cola.tsv', '--format', 'nope')).code).toBe(2)
  })
})

describe('lab typicality', () => {
  it('runs the diagnostics on exported activations and prints what the core computes', async () => {
    const items = MORAL_TYPICALITY_SET.items
    const d = 16
    const rng = new Rng(5)
    const tensors: Parameters<typeof writeSafetensors>[0] = {}
    const layers = []
    for (let l = 0; l < 2; l++) {
      const data = Float32Array.from({ length: items.length * d }, () => rng.normal())
      tensors[`blocks.${l}.hook_resid_post`] = floatTensor(data, [items.length, d], 'F32')
      layers.push({ hook: `blocks.${l}.hook_resid_post`, layer: l, acts: { data, rows: items.length, cols: d } })
    }
    const acts = join(tmp.dir, 'acts.safetensors')
    const set = join(tmp.dir, 'set.jsonl')
    writeFileSync(acts, writeSafetensors(tensors))
    writeFileSync(set, stimulusSetToJsonl(MORAL_TYPICALITY_SET))
    const r = await lab('typicality', '--acts', acts, '--stimuli', set, '--seed', '3', '--bootstrap', '50')
    expect(r.err).toBe('')
    const json = JSON.parse(r.out)
    expect(json.hooks.map((h: { hook: string }) => h.hook)).toEqual(['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post'])
    const direct = await computeTypicalityDiagnostics(layers, items, { seed: 3, bootstrap: 50 })
    expect(json.hooks).toEqual(JSON.parse(JSON.stringify(direct.layers)))
    expect(stimulusSetHash(parseStimulusJsonl(readFileSync(set, 'utf8')).set!)).toBe(stimulusSetHash(MORAL_TYPICALITY_SET))
  })

  it('refuses activations whose rows do not match the set', async () => {
    const acts = join(tmp.dir, 'short.safetensors')
    writeFileSync(acts, writeSafetensors({ 'blocks.0.hook_resid_post': floatTensor(new Float32Array(10 * 4), [10, 4], 'F32') }))
    const set = join(tmp.dir, 'set2.jsonl')
    writeFileSync(set, stimulusSetToJsonl(MORAL_TYPICALITY_SET))
    const r = await lab('typicality', '--acts', acts, '--stimuli', set)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/has 10 rows but set2\.jsonl has 228 items/)
  })
})
