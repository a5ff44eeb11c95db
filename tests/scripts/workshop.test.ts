import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createHash } from 'node:crypto'
import { buildWorkshopKit, selectModelFiles } from '../../scripts/workshop.ts'
import { startMockHub } from '../../scripts/mock-hub.ts'
import { BUILTIN_MODELS, buildTinyModel } from '../../src/core/testmodels/package.ts'
import { FILE_MANIFEST } from '../../src/core/model/sources.ts'
import { parseStimulusJsonlStrict } from '../../src/core/stimuli/jsonl.ts'
import { stimulusSetHash } from '../../src/core/stimuli/hash.ts'
import { MORAL_TYPICALITY_SET } from '../../src/core/stimuli/builtin/index.ts'
import { openStimulusFile } from '../../src/core/importers/open.ts'
import { addWorkshopSets, parseWorkshopManifest, type WorkshopManifest } from '../../src/state/workshop.ts'
import { stimuliStore } from '../../src/state/stimuliStore.ts'

const tmp = mkdtempSync(join(tmpdir(), 'moral-lens-workshop-'))
const modelFiles = buildTinyModel(BUILTIN_MODELS[0]).files
const hubFiles = buildTinyModel(BUILTIN_MODELS[1]).files
const FIXTURE = 'tests/fixtures/importers/ethics-cm.csv'
let hub: Awaited<ReturnType<typeof startMockHub>>

function writeTree(dir: string, files: Map<string, Uint8Array>) {
  for (const [rel, bytes] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), bytes)
  }
}

/** A model folder with an fp32 and a q4 export (the q4 one with external data) and stray weights. */
const folder = join(tmp, 'class-model')
/** A stand-in for a built site: what matters here is what the kit adds to it. */
const site = join(tmp, 'site')

beforeAll(async () => {
  writeTree(folder, modelFiles)
  writeFileSync(join(folder, 'onnx', 'model_q4.onnx'), new Uint8Array(100))
  writeFileSync(join(folder, 'onnx', 'model_q4.onnx_data'), new Uint8Array(300))
  writeFileSync(join(folder, 'model.safetensors'), new Uint8Array(50))
  writeFileSync(join(folder, 'LICENSE'), 'MIT\n')
  writeTree(site, new Map([['index.html', new TextEncoder().encode('<!doctype html><title>Moral Lens</title>')], ['assets/app.js', new TextEncoder().encode('console.log(1)')]]))
  hub = await startMockHub({ models: new Map([['moral-lens-test/tiny-gpt2', hubFiles]]) })
})

afterAll(async () => {
  hub?.server.close()
  rmSync(tmp, { recursive: true, force: true })
})

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('npm run workshop', () => {
  let kit: string
  let manifest: WorkshopManifest
  const log: string[] = []

  it('builds a kit from a model folder and the (mock) hub, with a built-in set and an imported file', async () => {
    kit = join(tmp, 'kit')
    const r = await buildWorkshopKit({
      models: [folder, 'moral-lens-test/tiny-gpt2'],
      sets: ['moral-typicality', FIXTURE],
      hub: hub.url,
      site,
      title: 'Ethics class',
      out: kit,
      log: (l) => log.push(l),
    })
    manifest = JSON.parse(readFileSync(join(kit, 'workshop.json'), 'utf8'))
    expect(r.manifest).toEqual(manifest)
    expect(manifest.title).toBe('Ethics class')
    expect(manifest.models.map((m) => [m.id, m.path, m.source.kind])).toEqual([
      ['class-model', 'models/class-model/', 'folder'],
      ['moral-lens-test/tiny-gpt2', 'models/moral-lens-test/tiny-gpt2/', 'hub'],
    ])
    // The site itself, the built-in models and the service worker are in the kit.
    expect(readFileSync(join(kit, 'assets/app.js'), 'utf8')).toBe('console.log(1)')
    for (const b of BUILTIN_MODELS) expect(existsSync(join(kit, 'models', b.id, 'onnx', 'model.onnx'))).toBe(true)
    expect(manifest.builtinModels).toEqual(BUILTIN_MODELS.map((b) => b.id))
    expect(existsSync(join(kit, '.moral-lens-workshop-incomplete'))).toBe(false)
  })

  it('copies the folder as is (all dtypes by default), without other frameworks\' weights', () => {
    const m = manifest.models[0]
    expect(Object.keys(m.files).sort()).toEqual(
      [...modelFiles.keys(), 'LICENSE', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'].sort(),
    )
    for (const [rel, bytes] of modelFiles) expect(sha(readFileSync(join(kit, m.path, rel)))).toBe(sha(bytes))
    expect(existsSync(join(kit, m.path, 'model.safetensors'))).toBe(false)
    expect(m.dtypes).toEqual([
      { dtype: 'fp32', bytes: modelFiles.get('onnx/model.onnx')!.length },
      { dtype: 'q4', bytes: 400 },
    ])
    expect(m.bytes).toBe(Object.values(m.files).reduce((s, n) => s + n, 0))
  })

  it('downloads a hub model with progress on stderr', () => {
    const m = manifest.models[1]
    expect(Object.keys(m.files).sort()).toEqual([...hubFiles.keys()].sort())
    for (const [rel, bytes] of hubFiles) expect(sha(readFileSync(join(kit, m.path, rel)))).toBe(sha(bytes))
    expect(m.source).toEqual({ kind: 'hub', id: 'moral-lens-test/tiny-gpt2', host: hub.url, revision: 'main' })
    expect(hub.requests).toContain('/moral-lens-test/tiny-gpt2/resolve/main/onnx/model.onnx')
    const onnx = hubFiles.get('onnx/model.onnx')!.length
    expect(log.some((l) => l.includes('moral-lens-test/tiny-gpt2/onnx/model.onnx') && / of 1\.1 MB/.test(l))).toBe(true)
    expect(log.filter((l) => l.includes('onnx/model.onnx:')).length).toBeGreaterThan(1)
    expect(readdirBytes(join(kit, m.path, 'onnx', 'model.onnx'))).toBe(onnx)
  })

  it('gives every model a moral-lens-files.json manifest that matches the files', () => {
    for (const m of manifest.models) {
      const files = JSON.parse(readFileSync(join(kit, m.path, FILE_MANIFEST), 'utf8')).files as Record<string, number>
      expect(files).toEqual(m.files)
      for (const [rel, size] of Object.entries(files)) expect(readdirBytes(join(kit, m.path, rel))).toBe(size)
    }
  })

  it('writes the sets as Moral Lens JSONL, the imported one read as the browser reads it', async () => {
    expect(manifest.sets.map((s) => [s.id, s.path, s.builtin])).toEqual([
      ['builtin:moral-typicality', 'sets/moral-typicality.jsonl', true],
      ['import:ethics-cm:ethics-cm.csv', 'sets/ethics-cm.csv.jsonl', false],
    ])
    const builtin = parseStimulusJsonlStrict(readFileSync(join(kit, manifest.sets[0].path), 'utf8'))
    expect(stimulusSetHash(builtin)).toBe(stimulusSetHash(MORAL_TYPICALITY_SET))
    expect(manifest.sets[0].hash).toBe(stimulusSetHash(MORAL_TYPICALITY_SET))
    const imported = parseStimulusJsonlStrict(readFileSync(join(kit, manifest.sets[1].path), 'utf8'))
    expect(imported.items.length).toBe(manifest.sets[1].items)
    expect(imported.items.length).toBeGreaterThan(0)
    expect(stimulusSetHash(imported)).toBe(manifest.sets[1].hash)
    expect(imported.items.map((i) => i.text)).toContain('I helped my neighbour carry her groceries up the stairs.')
    // The same set the browser's import worker makes of the file.
    const inBrowser = await openStimulusFile(
      (async function* () {
        yield new Uint8Array(readFileSync(FIXTURE))
      })(),
      { fileName: 'ethics-cm.csv', format: 'auto' },
    )
    expect(stimulusSetHash(imported)).toBe(stimulusSetHash(inBrowser.set))
    expect(imported.id).toBe(inBrowser.set.id)
  })

  it('precaches every file of the kit in its service worker', () => {
    const sw = readFileSync(join(kit, 'sw.js'), 'utf8')
    const precache = JSON.parse(/const __PRECACHE__ = (.*);\n/.exec(sw)![1]) as { entries: { url: string; size: number }[] }
    const urls = precache.entries.map((e) => e.url)
    const expected = [
      'index.html',
      'workshop.json',
      'assets/app.js',
      'sets/moral-typicality.jsonl',
      'models/class-model/onnx/model_q4.onnx_data',
      'models/moral-lens-test/tiny-gpt2/onnx/model.onnx',
      'models/tiny-gpt2/onnx/model.onnx',
    ]
    for (const f of expected) expect(urls).toContain(f)
    expect(urls).not.toContain('sw.js')
  })

  it('is read by the lab: the manifest validates and the kit set is added to the Stimuli panel once', async () => {
    expect(parseWorkshopManifest(manifest)).toMatchObject({ title: 'Ethics class' })
    expect(() => parseWorkshopManifest({ ...manifest, models: [{ ...manifest.models[0], path: '../x/' }] })).toThrow('models[0].path')
    vi.stubGlobal('location', { href: 'http://kit.test/class/' })
    vi.stubGlobal('fetch', async (url: string) => {
      const rel = new URL(url).pathname.replace(/^\/class\//, '')
      return existsSync(join(kit, rel)) ? new Response(readFileSync(join(kit, rel))) : new Response('', { status: 404 })
    })
    try {
      const before = stimuliStore.getState().sets.length
      expect(await addWorkshopSets(manifest, Promise.resolve())).toEqual(['import:ethics-cm:ethics-cm.csv'])
      // The built-in set is already there; a second start adds nothing.
      expect(await addWorkshopSets(manifest, Promise.resolve())).toEqual([])
      const sets = stimuliStore.getState().sets
      expect(sets.length).toBe(before + 1)
      expect(sets.at(-1)!.name).toBe(manifest.sets[1].name)
      // The kit's first set is the active one.
      expect(stimuliStore.getState().activeId).toBe('builtin:moral-typicality')
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('only the dtypes asked for', async () => {
    const out = join(tmp, 'kit-fp32')
    const r = await buildWorkshopKit({ models: [folder], dtypes: ['fp32'], site, out, log: () => {} })
    expect(Object.keys(r.manifest.models[0].files).filter((p) => p.startsWith('onnx/'))).toEqual(['onnx/model.onnx'])
    expect(existsSync(join(out, 'models/class-model/onnx/model_q4.onnx'))).toBe(false)
    await expect(buildWorkshopKit({ models: [folder], dtypes: ['q8'], site, out: join(tmp, 'kit-q8'), log: () => {} })).rejects.toThrow(
      /class-model: no q8 export; it has fp32, q4/,
    )
  })

  it('selects external data under any name beside the chosen graph, never another dtype\'s', () => {
    const listed = [
      { path: 'config.json', size: 1 },
      { path: 'onnx/model.onnx', size: 10 },
      { path: 'onnx/weights.bin', size: 20 },
      { path: 'onnx/model_q4.onnx', size: 5 },
      { path: 'onnx/model_q4.onnx_data', size: 7 },
      { path: 'pytorch_model.bin', size: 99 },
    ]
    expect(selectModelFiles(listed, ['fp32'], 'm').files.map((f) => f.path)).toEqual(['config.json', 'onnx/model.onnx', 'onnx/weights.bin'])
  })

  it('replaces an earlier kit but refuses a folder that holds something else', async () => {
    await buildWorkshopKit({ models: [folder], site, out: kit, log: () => {} })
    expect(existsSync(join(kit, 'models/moral-lens-test'))).toBe(false)
    const other = join(tmp, 'not-a-kit')
    mkdirSync(other)
    writeFileSync(join(other, 'thesis.tex'), '')
    await expect(buildWorkshopKit({ models: [folder], site, out: other, log: () => {} })).rejects.toThrow(/not empty and holds no earlier kit/)
    expect(existsSync(join(other, 'thesis.tex'))).toBe(true)
  })

  it('errors: a missing folder, an unknown set, an unreachable hub, an unknown hub model', async () => {
    const base = { site, log: () => {} }
    const missing = join(tmp, 'no-such-model')
    await expect(buildWorkshopKit({ ...base, models: [missing], out: join(tmp, 'e1') })).rejects.toThrow(
      `--model ${missing}: no such folder, and not a hub model id (expected organisation/name)`,
    )
    await expect(buildWorkshopKit({ ...base, models: [folder], sets: ['moral-typically'], out: join(tmp, 'e2') })).rejects.toThrow(
      /--set moral-typically: not a built-in set \(moral-typicality, value-entanglement, moral-claims\) and no such file/,
    )
    const closed = await closedPort()
    await expect(buildWorkshopKit({ ...base, models: ['moral-lens-test/tiny-gpt2'], hub: `http://127.0.0.1:${closed}/`, out: join(tmp, 'e3') })).rejects.toThrow(
      `--model moral-lens-test/tiny-gpt2: could not reach the hub at http://127.0.0.1:${closed}/ (ECONNREFUSED)`,
    )
    await expect(buildWorkshopKit({ ...base, models: ['moral-lens-test/nothing'], hub: hub.url, out: join(tmp, 'e4') })).rejects.toThrow(
      /--model moral-lens-test\/nothing: no such model on http:\/\/127\.0\.0\.1:\d+\/ \(HTTP 404/,
    )
    await expect(buildWorkshopKit({ ...base, models: [folder], sets: ['tests/fixtures/importers/empty.csv'], out: join(tmp, 'e5') })).rejects.toThrow(
      /--set tests\/fixtures\/importers\/empty.csv: .*empty/,
    )
    // Bad input fails before anything is written.
    for (const d of ['e1', 'e2', 'e3', 'e4', 'e5']) expect(existsSync(join(tmp, d))).toBe(false)
  })
})

function readdirBytes(path: string): number {
  return readFileSync(path).length
}

async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}
