// SHA-256, synchronous and dependency-free. WebCrypto's subtle API is missing outside secure
// contexts (a workshop server on http://192.168.x.x), so the lab carries its own.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])

export class Sha256 {
  private h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ])
  private block = new Uint8Array(64)
  private blockLen = 0
  private total = 0
  private w = new Uint32Array(64)

  update(data: Uint8Array | string): this {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    this.total += bytes.length
    let i = 0
    if (this.blockLen > 0) {
      const take = Math.min(64 - this.blockLen, bytes.length)
      this.block.set(bytes.subarray(0, take), this.blockLen)
      this.blockLen += take
      i = take
      if (this.blockLen === 64) {
        this.compress(this.block, 0)
        this.blockLen = 0
      }
    }
    for (; i + 64 <= bytes.length; i += 64) this.compress(bytes, i)
    if (i < bytes.length) {
      this.block.set(bytes.subarray(i), 0)
      this.blockLen = bytes.length - i
    }
    return this
  }

  digestHex(): string {
    const bitLen = this.total * 8
    const pad = new Uint8Array(((this.blockLen < 56 ? 56 : 120) - this.blockLen) + 8)
    pad[0] = 0x80
    const dv = new DataView(pad.buffer)
    dv.setUint32(pad.length - 8, Math.floor(bitLen / 4294967296))
    dv.setUint32(pad.length - 4, bitLen >>> 0)
    this.total -= pad.length
    this.update(pad)
    return Array.from(this.h, (x) => x.toString(16).padStart(8, '0')).join('')
  }

  private compress(b: Uint8Array, off: number): void {
    const w = this.w
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4
      w[t] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3]
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]
      const y = w[t - 2]
      const s0 = ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)
      const s1 = ror(y, 17) ^ ror(y, 19) ^ (y >>> 10)
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0
    }
    let [a, bb, c, d, e, f, g, h] = this.h
    for (let t = 0; t < 64; t++) {
      const S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)
      const ch = (e & f) ^ (~e & g)
      const t1 = (h + S1 + ch + K[t] + w[t]) | 0
      const S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)
      const maj = (a & bb) ^ (a & c) ^ (bb & c)
      const t2 = (S0 + maj) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = bb
      bb = a
      a = (t1 + t2) | 0
    }
    const H = this.h
    H[0] += a
    H[1] += bb
    H[2] += c
    H[3] += d
    H[4] += e
    H[5] += f
    H[6] += g
    H[7] += h
  }
}

function ror(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n))
}

export function sha256Hex(data: Uint8Array | string): string {
  return new Sha256().update(data).digestHex()
}

/** JSON with object keys sorted, so that equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  )
}
