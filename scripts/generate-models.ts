// Writes the lab's built-in tiny models into public/models/ (generated, never committed).
// Usage: tsx scripts/generate-models.ts [--out dir]
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BUILTIN_MODELS, buildTinyModel } from '../src/core/testmodels/package.ts'
import { FILE_MANIFEST } from '../src/core/model/sources.ts'
import { sha256Hex } from '../src/core/hash.ts'

const outArg = process.argv.indexOf('--out')
const outDir = outArg > 0 ? process.argv[outArg + 1] : join(import.meta.dirname, '..', 'public', 'models')

const manifest: { id: string; title: string; description: string; files: Record<string, number> }[] = []
for (const def of BUILTIN_MODELS) {
  const build = buildTinyModel(def)
  const sizes: Record<string, number> = {}
  for (const [rel, bytes] of build.files) {
    const path = join(outDir, def.id, rel)
    sizes[rel] = bytes.length
    if (existsSync(path) && sha256Hex(readFileSync(path)) === sha256Hex(bytes)) continue
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, bytes)
  }
  // Lets the lab list dtypes and sizes of a static copy without a hub API.
  writeFileSync(join(outDir, def.id, FILE_MANIFEST), JSON.stringify({ files: sizes }, null, 2) + '\n')
  manifest.push({ id: def.id, title: def.title, description: def.description, files: sizes })
}
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'index.json'), JSON.stringify({ models: manifest }, null, 2) + '\n')
console.log(`built-in models in ${outDir}: ${manifest.map((m) => m.id).join(', ')}`)
