// Streaming-import throughput on ~20 MB of synthetic Social-Chemistry-101-style TSV held in memory, fed in
// 64 KiB chunks as File.stream() would. Target: ≥ 20 MB/s (issue 4). Run with
// `npx tsx bench/import.bench.ts [megabytes] [repeats]` (or as a section of `npm run bench`).

import { chunksOf, importStimuli } from '../src/core/importers/import.ts'
import { decodeText } from '../src/core/importers/text.ts'
import { parseDelimited } from '../src/core/importers/csv.ts'
import { SOCIAL_CHEM_COLUMNS } from '../src/core/importers/formats/social-chem.ts'
import { Rng } from '../src/core/random.ts'
import { isMain } from './lib/main.ts'

export const IMPORT_TARGET_MB_S = 20

const FOUNDATIONS = [
  'care-harm',
  'fairness-cheating',
  'loyalty-betrayal',
  'authority-subversion',
  'sanctity-degradation',
]
const WORDS = (
  'the a my your friend neighbour boss child dog money promise secret party work school car house gift lie help ' +
  'ignore steal share borrow return yell laugh cook clean break fix call visit forget'
).split(' ')

function sentence(rng: Rng, n: number): string {
  const w: string[] = []
  for (let i = 0; i < n; i++) w.push(WORDS[rng.int(WORDS.length)])
  return w.join(' ')
}

/** Rows shaped like the real file: ~25 columns, pandas-style floats, empty cells, a few quoted fields. */
function syntheticSocialChem(targetBytes: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const enc = new TextEncoder()
  const parts: Uint8Array[] = [enc.encode(SOCIAL_CHEM_COLUMNS.join('\t') + '\n')]
  let size = parts[0].length
  let n = 0
  while (size < targetBytes) {
    const lines: string[] = []
    for (let k = 0; k < 500; k++, n++) {
      const nf = rng.int(3)
      const fs = Array.from({ length: nf }, () => FOUNDATIONS[rng.int(5)]).join('|')
      const j = rng.next() < 0.05 ? '' : `${rng.int(5) - 2}.0`
      const action =
        rng.next() < 0.01 ? `"${sentence(rng, 4)} ""quoted""\t${sentence(rng, 3)}"` : sentence(rng, 3 + rng.int(6))
      const v: Record<string, string> = {
        area: ['amitheasshole', 'confessions', 'dearabby', 'rocstories'][rng.int(4)],
        m: String([1, 3, 5, 50][rng.int(4)]),
        split: ['train', 'dev', 'test'][rng.int(3)],
        'rot-agree': `${rng.int(5)}.0`,
        'rot-categorization': 'morality-ethics|social-norms',
        'rot-moral-foundations': fs,
        'rot-char-targeting': 'char-1',
        'rot-bad': rng.next() < 0.03 ? '1' : '0',
        'rot-judgment': "it's bad",
        action,
        'action-agency': 'agency',
        'action-moral-judgment': j,
        'action-agree': `${rng.int(5)}.0`,
        'action-legal': 'legal',
        'action-pressure': `${rng.int(5) - 2}.0`,
        'action-char-involved': 'char-1',
        'action-hypothetical': 'explicit-no',
        situation: sentence(rng, 8 + rng.int(12)),
        'situation-short-id': `s${n}`,
        rot: `It's bad to ${sentence(rng, 6)}.`,
        'rot-id': `rot/${n}`,
        'rot-worker-id': String(rng.int(200)),
        'breakdown-worker-id': String(rng.int(200)),
        'n-characters': '2',
        characters: 'narrator|my friend',
      }
      lines.push(SOCIAL_CHEM_COLUMNS.map((c) => v[c]).join('\t'))
    }
    const bytes = enc.encode(lines.join('\n') + '\n')
    parts.push(bytes)
    size += bytes.length
  }
  const out = new Uint8Array(size)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export interface ImportBenchResult {
  megabytes: number
  repeats: number
  /** Best-of-repeats throughput per stage, MB/s. */
  rates: { label: string; ms: number; mbPerS: number; detail: string }[]
  /** The slower of the two full imports (the figure the target applies to). */
  streamingMbPerS: number
}

export async function benchImport(megabytes = 20, repeats = 3, log: (line: string) => void = console.log): Promise<ImportBenchResult> {
  const rates: ImportBenchResult['rates'] = []
  async function time(label: string, bytes: Uint8Array, run: () => Promise<string>): Promise<number> {
    const mb = bytes.length / 1e6
    let best = Infinity
    let detail = ''
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now()
      detail = await run()
      best = Math.min(best, (performance.now() - t0) / 1000)
    }
    const rate = mb / best
    rates.push({ label, ms: best * 1000, mbPerS: rate, detail })
    log(`${label.padEnd(44)} ${(best * 1000).toFixed(0).padStart(6)} ms  ${rate.toFixed(1).padStart(6)} MB/s  ${detail}`)
    return rate
  }

  const bytes = syntheticSocialChem(megabytes * 1e6, 1)
  log(`synthetic Social-Chem TSV: ${(bytes.length / 1e6).toFixed(1)} MB, 64 KiB chunks, best of ${repeats}\n`)

  await time('decode only (UTF-8, line endings)', bytes, async () => {
    const { text } = decodeText(chunksOf(bytes), { fileName: 'bench.tsv' })
    let chars = 0
    for await (const t of text) chars += t.length
    return `${chars} chars`
  })
  await time('decode + TSV records', bytes, async () => {
    const { text } = decodeText(chunksOf(bytes), { fileName: 'bench.tsv' })
    let n = 0
    for await (const batch of parseDelimited(text, { delimiter: '\t' })) n += batch.length
    return `${n} records`
  })
  const full = await time('importStimuli (all kept rows)', bytes, async () => {
    const r = await importStimuli(chunksOf(bytes), { fileName: 'bench.tsv', format: 'social-chem' })
    return `${r.kept} kept, ${r.droppedTotal} dropped`
  })
  const sampled = await time('importStimuli (balanced subsample 500/cell)', bytes, async () => {
    const r = await importStimuli(chunksOf(bytes), {
      fileName: 'bench.tsv',
      options: { socialChem: { subsample: { maxPerCell: 500, neutralCap: 1000, seed: 1 } } },
    })
    return `${r.kept} kept of ${r.rowsRead} rows`
  })

  const worst = Math.min(full, sampled)
  log(
    `\nstreaming import: ${worst.toFixed(1)} MB/s (target ≥ ${IMPORT_TARGET_MB_S} MB/s): ${worst >= IMPORT_TARGET_MB_S ? 'ok' : 'BELOW TARGET'}`,
  )
  return { megabytes: bytes.length / 1e6, repeats, rates, streamingMbPerS: worst }
}

if (isMain(import.meta.url)) {
  const [megabytes, repeats] = [20, 3].map((v, i) => Number(process.argv[2 + i] ?? v))
  await benchImport(megabytes, repeats)
}
