// `npm run workshop -- --model <hub id or folder> [--model …] [--set <file or built-in id> …] --out <dir>`:
// a self-contained static copy of the lab for a room with poor internet. The kit holds the site,
// the chosen models (under models/<id>/, each with a moral-lens-files.json manifest), the chosen
// stimulus sets (sets/*.jsonl), the built-in models, workshop.json (read by src/state/workshop.ts)
// and a service worker that precaches all of it.
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { FILE_MANIFEST, HF_HUB, type ListedFile } from '../src/core/model/sources.ts'
import { dtypeOptions, formatBytes } from '../src/core/model/files.ts'
import { DTYPES, type Dtype } from '../src/core/model/catalog.ts'
import { RateMeter } from '../src/core/model/download.ts'
import { BUILTIN_MODELS } from '../src/core/testmodels/builtin.ts'
import { BUILTIN_SETS, getBuiltinSet } from '../src/core/stimuli/builtin/index.ts'
import { openStimulusFile, inspectSample } from '../src/core/importers/open.ts'
import { stimulusSetToJsonl } from '../src/core/stimuli/jsonl.ts'
import { stimulusSetHash } from '../src/core/stimuli/hash.ts'
import type { StimulusSet } from '../src/core/stimuli/types.ts'
import type { WorkshopManifest, WorkshopModel, WorkshopSet } from '../src/state/workshop.ts'
import { writeServiceWorker, SW_FILE } from './service-worker.ts'

const ROOT = resolve(import.meta.dirname, '..')
const WORKSHOP_FILE = 'workshop.json'
/** Marks a kit being written, so a failed run can be repeated into the same folder. */
const INCOMPLETE_MARKER = '.moral-lens-workshop-incomplete'

export const USAGE = `Usage: npm run workshop -- --model <hub id or folder> [--model …] [--set <file or built-in id> …] --out <dir>

Builds a self-contained static copy of Moral Lens with the chosen models and stimulus sets inside,
for a room with poor internet. Serve <dir> with any static web server.

Options
  --model <id|folder>  a Hugging Face model id (downloaded from --hub) or a model folder
                       (config.json, tokenizer files, onnx/*.onnx and external data); repeatable.
                       The first model is the one the kit opens on.
  --dtype <dtype>      only these dtypes of each model (${DTYPES.join(', ')}); repeatable or
                       comma-separated. Default: every dtype the model has.
  --set <id|file>      a built-in stimulus set (${BUILTIN_SETS.map((s) => s.id.replace(/^builtin:/, '')).join(', ')}) or a
                       dataset file the lab can import (Moral Lens JSONL, ETHICS, Social-Chemistry-101,
                       Norm Bank, MFV, CoLA, generic CSV/TSV/JSON/JSONL); repeatable.
  --hub <url>          hub to download from (default ${HF_HUB})
  --revision <rev>     hub revision (default main)
  --site <dir>         copy this built site (e.g. dist/) instead of building one with Vite
  --title <text>       the kit's title, shown in the Model panel (default "Moral Lens workshop")
  --out <dir>          where to write the kit: an empty folder, or an earlier kit to replace
  --help               show this text

Example
  npm run workshop -- --model HuggingFaceTB/SmolLM2-135M-Instruct --dtype q8 \\
    --set moral-typicality --set ./cm_test.csv --out workshop-kit`

export interface WorkshopOptions {
  models: string[]
  sets?: string[]
  out: string
  hub?: string
  revision?: string
  dtypes?: Dtype[]
  site?: string
  title?: string
  /** Progress and notes (default: process.stderr). */
  log?: (line: string) => void
  fetch?: typeof fetch
}

export class WorkshopError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkshopError'
  }
}

/** Files of a model folder or hub repository that a kit carries. */
const OTHER_WEIGHTS = /\.(safetensors|bin|pt|pth|gguf|h5|msgpack|ckpt|ot|tflite|onnx)$/i

export function selectModelFiles(listed: ListedFile[], dtypes: Dtype[] | undefined, what: string): { files: ListedFile[]; dtypes: { dtype: string; bytes: number }[] } {
  const options = dtypeOptions(listed)
  if (!options.length) throw new WorkshopError(`${what}: no ONNX decoder found (expected onnx/model.onnx, onnx/model_q8.onnx, …)`)
  const chosen = dtypes?.length ? options.filter((o) => dtypes.includes(o.dtype)) : options
  const missing = (dtypes ?? []).filter((d) => !options.some((o) => o.dtype === d))
  if (missing.length)
    throw new WorkshopError(`${what}: no ${missing.join(', ')} export; it has ${options.map((o) => o.dtype).join(', ')}`)
  const claimedByOthers = new Set(options.filter((o) => !chosen.includes(o)).flatMap((o) => [o.onnxPath, ...o.dataFiles]))
  const keep = listed.filter((f) => {
    if (f.path === FILE_MANIFEST) return false
    if (!f.path.includes('/')) return !OTHER_WEIGHTS.test(f.path)
    if (!f.path.startsWith('onnx/') || f.path.slice(5).includes('/')) return false
    // The chosen graphs and every other file beside them (external data under any name).
    return !claimedByOthers.has(f.path) && (!f.path.endsWith('.onnx') || chosen.some((o) => o.onnxPath === f.path))
  })
  return { files: keep, dtypes: chosen.map((o) => ({ dtype: o.dtype, bytes: o.bytes ?? 0 })) }
}

function listFolder(dir: string): ListedFile[] {
  const out: ListedFile[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile()) out.push({ path: e.name, size: statSync(join(dir, e.name)).size })
    else if (e.isDirectory() && e.name === 'onnx')
      for (const f of readdirSync(join(dir, 'onnx'), { withFileTypes: true }))
        if (f.isFile()) out.push({ path: `onnx/${f.name}`, size: statSync(join(dir, 'onnx', f.name)).size })
  }
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

function describeFetchError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } }
  return err.cause?.code ?? err.cause?.message ?? err.message
}

interface PlannedModel {
  spec: string
  id: string
  kind: 'folder' | 'hub'
  folder?: string
  files: ListedFile[]
  dtypes: { dtype: string; bytes: number }[]
}

async function listHub(id: string, host: string, revision: string, doFetch: typeof fetch): Promise<ListedFile[]> {
  const out: ListedFile[] = []
  for (const folder of ['', 'onnx']) {
    const url = `${host}api/models/${id}/tree/${encodeURIComponent(revision)}/${folder}`
    let res: Response
    try {
      res = await doFetch(url)
    } catch (e) {
      throw new WorkshopError(`--model ${id}: could not reach the hub at ${host} (${describeFetchError(e)})`)
    }
    if (res.status === 404 && folder === 'onnx') throw new WorkshopError(`--model ${id}: the repository has no onnx/ folder on ${host}`)
    if (res.status === 404) throw new WorkshopError(`--model ${id}: no such model on ${host} (HTTP 404 from ${url})`)
    if (!res.ok) throw new WorkshopError(`--model ${id}: HTTP ${res.status} ${res.statusText} from ${url}`)
    const entries = (await res.json()) as { type: string; path: string; size: number; lfs?: { size: number } }[]
    for (const e of entries) if (e.type === 'file') out.push({ path: e.path, size: e.lfs?.size ?? e.size })
  }
  return out
}

async function planModel(spec: string, opts: Required<Pick<WorkshopOptions, 'hub' | 'revision'>> & WorkshopOptions, doFetch: typeof fetch): Promise<PlannedModel> {
  const folder = resolve(spec)
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new WorkshopError(`--model ${spec}: not a folder (give a model folder or a hub id organisation/name)`)
    if (!existsSync(join(folder, 'config.json'))) throw new WorkshopError(`--model ${spec}: config.json is missing from the folder`)
    const listed = listFolder(folder)
    // The folder's name, made safe for a URL path.
    const id = basename(folder).replace(/[^\w.-]+/g, '-').replace(/^[-.]+/, '') || 'model'
    return { spec, id, kind: 'folder', folder, ...selectModelFiles(listed, opts.dtypes, `--model ${spec}`) }
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(spec) || spec.startsWith('.'))
    throw new WorkshopError(`--model ${spec}: no such folder, and not a hub model id (expected organisation/name)`)
  const listed = await listHub(spec, opts.hub, opts.revision, doFetch)
  if (!listed.some((f) => f.path === 'config.json')) throw new WorkshopError(`--model ${spec}: the repository on ${opts.hub} has no config.json`)
  return { spec, id: spec, kind: 'hub', ...selectModelFiles(listed, opts.dtypes, `--model ${spec}`) }
}

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  for await (const c of createReadStream(path)) yield c as Uint8Array
}

async function readSet(spec: string): Promise<{ set: StimulusSet; builtin: boolean; note?: string }> {
  const builtin = getBuiltinSet(spec) ?? getBuiltinSet(`builtin:${spec}`)
  if (builtin) return { set: builtin, builtin: true }
  if (!existsSync(spec) || !statSync(spec).isFile())
    throw new WorkshopError(
      `--set ${spec}: not a built-in set (${BUILTIN_SETS.map((s) => s.id.replace(/^builtin:/, '')).join(', ')}) and no such file`,
    )
  const fileName = basename(spec)
  // As the browser's import dialog does: the detected format, else the generic importer with the suggested columns.
  const head = new Uint8Array(readFileSync(spec).subarray(0, 64 * 1024))
  const inspection = inspectSample(head, fileName, head.length >= statSync(spec).size)
  if (inspection.detectionError && !inspection.labJsonl && !inspection.detection && !inspection.headers.length)
    throw new WorkshopError(`--set ${spec}: ${inspection.detectionError}`)
  const generic = !inspection.labJsonl && !inspection.detection
  try {
    const result = await openStimulusFile(fileChunks(spec), {
      fileName,
      format: generic ? 'generic' : 'auto',
      options: generic ? { generic: { mapping: inspection.suggested } } : undefined,
    })
    if (!result.set.items.length) throw new Error('no rows could be imported')
    const dropped = result.droppedTotal ? `; ${result.droppedTotal} rows dropped (${result.dropped[0]?.reason ?? 'see the lab import dialog'})` : ''
    return { set: result.set, builtin: false, note: `read as ${result.format}${dropped}` }
  } catch (e) {
    throw new WorkshopError(`--set ${spec}: ${(e as Error).message}`)
  }
}

function progressPrinter(log: (line: string) => void) {
  const tty = process.stderr.isTTY && log === defaultLog
  return (file: string, loaded: number, total: number, rate: number, final = false) => {
    const eta = rate > 0 && total > loaded ? ` · ${Math.ceil((total - loaded) / rate)} s left` : ''
    const line = `  ${file}: ${formatBytes(loaded)} of ${formatBytes(total)}${rate > 0 ? ` · ${formatBytes(rate)}/s` : ''}${eta}`
    if (tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`)
    else log(line)
  }
}

async function download(url: string, dest: string, expected: number, label: string, doFetch: typeof fetch, log: (line: string) => void): Promise<void> {
  let res: Response
  try {
    res = await doFetch(url)
  } catch (e) {
    throw new WorkshopError(`${label}: could not download ${url} (${describeFetchError(e)})`)
  }
  if (!res.ok || !res.body) throw new WorkshopError(`${label}: HTTP ${res.status} ${res.statusText} from ${url}`)
  const total = Number(res.headers.get('content-length')) || expected
  mkdirSync(dirname(dest), { recursive: true })
  const part = dest + '.part'
  const out = createWriteStream(part)
  const meter = new RateMeter()
  const print = progressPrinter(log)
  const start = Date.now()
  let loaded = 0
  let lastStep = -1
  let lastTime = 0
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
      loaded += chunk.length
      const rate = meter.add(Date.now() - start, loaded)
      // A line per quarter in logs; a live line on a terminal.
      const step = total > 0 ? Math.floor((loaded / total) * 4) : 0
      if (step !== lastStep || (process.stderr.isTTY && Date.now() - lastTime > 250)) {
        lastStep = step
        lastTime = Date.now()
        print(label, loaded, total, rate, loaded === total)
      }
    }
  } finally {
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())))
  }
  if (expected && loaded !== expected) {
    rmSync(part, { force: true })
    throw new WorkshopError(`${label}: the download stopped at ${loaded} of ${expected} bytes`)
  }
  renameSync(part, dest)
}

function prepareOut(out: string, site: string | undefined): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new WorkshopError(`--out ${out}: is a file`)
    const entries = readdirSync(out)
    if (entries.length && !entries.includes(WORKSHOP_FILE) && !entries.includes(INCOMPLETE_MARKER))
      throw new WorkshopError(`--out ${out}: the folder is not empty and holds no earlier kit; choose an empty folder`)
    rmSync(out, { recursive: true, force: true })
  }
  if (site) {
    const from = resolve(site)
    if (!existsSync(join(from, 'index.html'))) throw new WorkshopError(`--site ${site}: no index.html there (build the site with npm run build)`)
    if (from === out) throw new WorkshopError('--site and --out are the same folder')
    cpSync(from, out, { recursive: true, filter: (src) => !/\.part$/.test(src) })
  }
}

async function buildSite(out: string): Promise<void> {
  if (!existsSync(join(ROOT, 'public', 'models', 'index.json'))) generateBuiltinModels(join(ROOT, 'public', 'models'))
  const { build } = await import('vite')
  await build({ root: ROOT, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } })
}

function generateBuiltinModels(dir: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'generate-models.ts'), '--out', dir], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) throw new WorkshopError(`generating the built-in models failed: ${r.stderr || r.stdout}`)
}

/** The site's own built-in models (from the build, public/models or generated). */
function ensureBuiltinModels(out: string): string[] {
  const dir = join(out, 'models')
  const have = BUILTIN_MODELS.every((m) => existsSync(join(dir, m.id, FILE_MANIFEST)))
  if (!have) {
    const pub = join(ROOT, 'public', 'models')
    if (BUILTIN_MODELS.every((m) => existsSync(join(pub, m.id, FILE_MANIFEST)))) {
      for (const m of BUILTIN_MODELS) cpSync(join(pub, m.id), join(dir, m.id), { recursive: true })
      cpSync(join(pub, 'index.json'), join(dir, 'index.json'))
    } else generateBuiltinModels(dir)
  }
  return BUILTIN_MODELS.map((m) => m.id)
}

/** A file name for a set: the last part of its id (`builtin:moral-typicality`, `import:ethics-cm:cm.csv`). */
function slug(id: string): string {
  return (id.split(':').pop() ?? id).replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'set'
}

const defaultLog = (line: string) => process.stderr.write(line + '\n')

export interface WorkshopResult {
  out: string
  manifest: WorkshopManifest
  precachedFiles: number
  bytes: number
}

export async function buildWorkshopKit(options: WorkshopOptions): Promise<WorkshopResult> {
  const log = options.log ?? defaultLog
  const doFetch = options.fetch ?? fetch
  const hub = (options.hub ?? HF_HUB).replace(/\/?$/, '/')
  const opts = { ...options, hub, revision: options.revision ?? 'main' }
  if (!options.models.length) throw new WorkshopError('give at least one --model (a hub id or a model folder)')
  if (!options.out) throw new WorkshopError('give --out <dir>')
  for (const d of options.dtypes ?? []) if (!DTYPES.includes(d)) throw new WorkshopError(`--dtype ${d}: expected one of ${DTYPES.join(', ')}`)
  const out = resolve(options.out)

  // Everything that can fail on bad input fails before anything is written or downloaded.
  const sets: { set: StimulusSet; builtin: boolean }[] = []
  for (const spec of options.sets ?? []) {
    const r = await readSet(spec)
    if (sets.some((s) => stimulusSetHash(s.set) === stimulusSetHash(r.set))) {
      log(`note: --set ${spec} is the same set as an earlier one; listed once`)
      continue
    }
    log(`set ${r.set.name}: ${r.set.items.length} items${r.note ? ` (${r.note})` : ''}`)
    sets.push(r)
  }
  const planned: PlannedModel[] = []
  for (const spec of options.models) {
    const m = await planModel(spec, opts, doFetch)
    if (BUILTIN_MODELS.some((b) => b.id === m.id)) throw new WorkshopError(`--model ${spec}: "${m.id}" is the name of a built-in model; rename the folder`)
    if (planned.some((p) => p.id === m.id)) throw new WorkshopError(`--model ${spec}: a model named "${m.id}" is already in the kit`)
    const bytes = m.files.reduce((s, f) => s + f.size, 0)
    log(`model ${m.id} (${m.kind}): ${m.dtypes.map((d) => d.dtype).join(', ')}; ${m.files.length} files, ${formatBytes(bytes)}`)
    planned.push(m)
  }

  if (options.site) prepareOut(out, options.site)
  else {
    prepareOut(out, undefined)
    log('building the site with Vite…')
    await buildSite(out)
  }
  writeFileSync(join(out, INCOMPLETE_MARKER), '')
  const builtinModels = ensureBuiltinModels(out)

  const models: WorkshopModel[] = []
  for (const m of planned) {
    const path = `models/${m.id}/`
    const dir = join(out, 'models', ...m.id.split('/'))
    if (m.kind === 'folder') {
      log(`copying ${m.folder} → ${path}`)
      for (const f of m.files) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true })
        cpSync(join(m.folder!, f.path), join(dir, f.path))
      }
    } else {
      log(`downloading ${m.id} from ${hub}`)
      for (const f of m.files) {
        const url = `${hub}${m.id}/resolve/${encodeURIComponent(opts.revision)}/${f.path.split('/').map(encodeURIComponent).join('/')}`
        await download(url, join(dir, f.path), f.size, `${m.id}/${f.path}`, doFetch, log)
      }
    }
    const sizes = Object.fromEntries(m.files.map((f) => [f.path, statSync(join(dir, f.path)).size]))
    writeFileSync(join(dir, FILE_MANIFEST), JSON.stringify({ files: sizes }, null, 2) + '\n')
    models.push({
      id: m.id,
      title: m.kind === 'folder' ? basename(m.folder!) : m.id,
      path,
      source: m.kind === 'hub' ? { kind: 'hub', id: m.id, host: hub, revision: opts.revision } : { kind: 'folder', name: basename(m.folder!) },
      files: sizes,
      bytes: Object.values(sizes).reduce((s, n) => s + n, 0),
      dtypes: m.dtypes,
    })
  }

  const kitSets: WorkshopSet[] = []
  mkdirSync(join(out, 'sets'), { recursive: true })
  for (const { set, builtin } of sets) {
    let name = slug(set.id)
    for (let k = 2; kitSets.some((s) => s.path === `sets/${name}.jsonl`); k++) name = `${slug(set.id)}-${k}`
    const path = `sets/${name}.jsonl`
    writeFileSync(join(out, path), stimulusSetToJsonl(set))
    kitSets.push({ id: set.id, name: set.name, kind: set.kind, path, items: set.items.length, hash: stimulusSetHash(set), builtin })
  }

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  const manifest: WorkshopManifest = {
    moral_lens_workshop: 1,
    title: options.title ?? 'Moral Lens workshop',
    created: new Date().toISOString(),
    appVersion: pkg.version,
    models,
    sets: kitSets,
    builtinModels,
  }
  writeFileSync(join(out, WORKSHOP_FILE), JSON.stringify(manifest, null, 2) + '\n')
  writeFileSync(join(out, 'README.txt'), kitReadme(manifest))
  const sw = writeServiceWorker(out)
  rmSync(join(out, INCOMPLETE_MARKER))
  log(`service worker (${SW_FILE}) precaches ${sw.entries.length} files, ${formatBytes(sw.bytes)}`)
  return { out, manifest, precachedFiles: sw.entries.length, bytes: sw.bytes }
}

function kitReadme(m: WorkshopManifest): string {
  return `${m.title}
${'='.repeat(m.title.length)}

A self-contained copy of Moral Lens ${m.appVersion}, built ${m.created}.

Models: ${m.models.map((x) => x.id).join(', ')} (the lab opens on the first), and the built-in
models ${m.builtinModels.join(', ')}.
Stimulus sets: ${m.sets.map((s) => s.name).join(', ') || 'the built-in ones'}.

Serve this folder with any static web server, for example from the Moral Lens repository:

  npx tsx scripts/static-server.ts <this folder> --port 8080 --host 0.0.0.0

or with Python: python3 -m http.server 8080. Nothing is fetched from the internet.

Opened from http://localhost (each laptop serving its own copy) or over HTTPS, the lab keeps an
offline copy of itself and of every model here, so later visits work without any server. Browsers
allow that only on secure origins, so students opening http://<presenter's address>:8080 get
the models from the presenter's laptop on every visit.

A server that sends the headers Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp (static-server.ts --isolate) lets WASM use several
threads; without them it runs single-threaded, and the status bar says why.
`
}

async function main(argv: string[]): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string', multiple: true },
        set: { type: 'string', multiple: true },
        dtype: { type: 'string', multiple: true },
        hub: { type: 'string' },
        revision: { type: 'string' },
        site: { type: 'string' },
        title: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (e) {
    process.stderr.write(`workshop: ${(e as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  if (!values.model?.length || !values.out) {
    process.stderr.write(`workshop: ${!values.model?.length ? 'give at least one --model' : 'give --out <dir>'}\n\n${USAGE}\n`)
    return 2
  }
  try {
    const r = await buildWorkshopKit({
      models: values.model,
      sets: values.set,
      dtypes: values.dtype?.flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean) as Dtype[] | undefined,
      hub: values.hub,
      revision: values.revision,
      site: values.site,
      title: values.title,
      out: values.out,
    })
    const where = relative(process.cwd(), r.out) || '.'
    const { models, sets } = r.manifest
    process.stdout.write(
      `Workshop kit in ${where}: ${models.length} model(s), ${sets.length} set(s), ${formatBytes(r.bytes)} in ${r.precachedFiles} files.\n` +
        `Try it: npx tsx scripts/static-server.ts ${where} --port 8080\n`,
    )
    return 0
  } catch (e) {
    process.stderr.write(`workshop: ${(e as Error).message}\n`)
    return 1
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2))
