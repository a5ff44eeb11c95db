// A byte-level BPE tokenizer (GPT-2 scheme) trained deterministically on a small corpus, written
// as a Hugging Face tokenizer.json so transformers.js loads it like any hub tokenizer.

/** GPT-2's reversible map from bytes to printable unicode characters. */
export function bytesToUnicode(): string[] {
  const bs: number[] = []
  for (let b = 33; b <= 126; b++) bs.push(b)
  for (let b = 161; b <= 172; b++) bs.push(b)
  for (let b = 174; b <= 255; b++) bs.push(b)
  const cs = [...bs]
  let n = 0
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b)
      cs.push(256 + n)
      n++
    }
  }
  const table: string[] = new Array(256)
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])))
  return table
}

export const GPT2_PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu

export interface BpeTokenizer {
  vocab: Map<string, number>
  merges: [string, string][]
}

/** Trains `numMerges` merges; ties are broken by the lexicographically smallest pair, so output is deterministic. */
export function trainByteLevelBpe(corpus: string, numMerges: number): BpeTokenizer {
  const byteChar = bytesToUnicode()
  const enc = new TextEncoder()
  const wordFreq = new Map<string, number>()
  for (const m of corpus.matchAll(GPT2_PRETOKENIZE)) {
    const w = Array.from(enc.encode(m[0]), (b) => byteChar[b]).join('')
    wordFreq.set(w, (wordFreq.get(w) ?? 0) + 1)
  }
  const words = [...wordFreq.entries()].map(([w, f]) => ({ syms: Array.from(w), f }))
  const vocab = new Map<string, number>()
  for (let b = 0; b < 256; b++) vocab.set(byteChar[b], b)
  const merges: [string, string][] = []
  for (let step = 0; step < numMerges; step++) {
    const counts = new Map<string, number>()
    for (const { syms, f } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + '\u0000' + syms[i + 1]
        counts.set(k, (counts.get(k) ?? 0) + f)
      }
    }
    let best: string | undefined
    let bestCount = 1
    for (const [k, c] of counts) {
      if (c > bestCount || (c === bestCount && best !== undefined && k < best)) {
        best = k
        bestCount = c
      }
    }
    if (best === undefined) break
    const [a, b] = best.split('\u0000')
    merges.push([a, b])
    vocab.set(a + b, vocab.size)
    for (const w of words) {
      const out: string[] = []
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(a + b)
          i++
        } else out.push(w.syms[i])
      }
      w.syms = out
    }
  }
  return { vocab, merges }
}

export interface SpecialToken {
  content: string
  id: number
}

/** tokenizer.json in the format of the `tokenizers` library (ByteLevel pre-tokenizer, BPE model). */
export function tokenizerJson(tok: BpeTokenizer, specials: SpecialToken[]): object {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => ({
      id: s.id,
      content: s.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries([...tok.vocab.entries()]),
      merges: tok.merges.map(([a, b]) => `${a} ${b}`),
    },
  }
}

/** Reference encoder (plain BPE over GPT-2 pre-tokens), independent of transformers.js, for tests. */
export function encodeWithBpe(tok: BpeTokenizer, text: string): number[] {
  const byteChar = bytesToUnicode()
  const enc = new TextEncoder()
  const rank = new Map(tok.merges.map(([a, b], i) => [a + '\u0000' + b, i]))
  const ids: number[] = []
  for (const m of text.matchAll(GPT2_PRETOKENIZE)) {
    let syms = Array.from(enc.encode(m[0]), (b) => byteChar[b])
    for (;;) {
      let bestI = -1
      let bestRank = Infinity
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = rank.get(syms[i] + '\u0000' + syms[i + 1])
        if (r !== undefined && r < bestRank) {
          bestRank = r
          bestI = i
        }
      }
      if (bestI < 0) break
      const [a, b] = tok.merges[bestRank]
      const out: string[] = []
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b)
          i++
        } else out.push(syms[i])
      }
      syms = out
    }
    for (const s of syms) ids.push(tok.vocab.get(s)!)
  }
  return ids
}
