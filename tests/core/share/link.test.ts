import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { canonicalJson } from '../../../src/core/hash.ts'
import { Rng } from '../../../src/core/random.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import { MORAL_TYPICALITY_SET } from '../../../src/core/stimuli/builtin/index.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'
import { IMPORT_LICENCE } from '../../../src/core/importers/import.ts'
import {
  SHARE_JSON_MAX_BYTES,
  SHARE_PAYLOAD_MAX_CHARS,
  ShareEncodeError,
  base64UrlDecode,
  base64UrlEncode,
  checkShareConfig,
  decodeSharePayload,
  encodeShareConfig,
  migrateShareConfig,
  parseShareHash,
  readShareFromUrl,
  shareModelSource,
  shareSetRef,
  shareUrl,
  type ShareConfigV1,
  type ShareReadResult,
} from '../../../src/core/share/link.ts'

const BASE = 'https://lab.example.org/moral-lens/?hub=https%3A%2F%2Fmirror.example%2F'

const small: StimulusSet = {
  id: 'custom:three',
  name: 'Three claims',
  source: 'typed in the workshop',
  licence: 'CC0',
  kind: 'claims',
  prompts: { claim: 'Claim: {text}\nI think this claim is' },
  items: [
    { id: 'a', text: 'Stealing is wrong.', gold: 1, consistencyGroup: 'g1', meta: { category: 'property' } },
    { id: 'b', text: 'Stealing is fine.', gold: 0, consistencyGroup: 'g1' },
    { id: 'c', text: 'Helping a stranger is kind.', foundation: 'care', polarity: 'virtue', typicality: 0.8, typicalitySource: 'authored' },
  ],
}

/** Every section filled in. */
const full: ShareConfigV1 = {
  v: 1,
  panel: 'features',
  model: { source: { kind: 'hub', id: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'a1b2c3d' }, dtype: 'q4f16', device: 'webgpu' },
  set: { kind: 'inline', set: small },
  typicality: { hookKind: 'resid_post', pooling: 'last', seed: 7, bootstrap: 500, pcaDims: null, layer: 12, category: 'care.vice', colorBy: 'foundation' },
  entanglement: { frames: 12, seed: 1, scope: 'from-layer', ablationLayer: null, projectionLayer: 5, projectionContext: 'grammatical', sortBy: 'delta.moral' },
  elicitation: {
    options: { seed: 1, alpha: 30, numSeed: 8, iterations: 200, consistencyFixK: 10, initialT: 10, finalT: 0.01, scheduler: 'log', maxDemonstrations: 16, demoSelection: 'shared', testFraction: 0.25, baselines: true },
    scorer: { kind: 'remote', baseUrl: 'http://localhost:8000/v1', model: 'llama-3-8b' },
  },
  features: {
    layer: null,
    hookKind: 'resid_mid',
    corpusSetIds: ['builtin:moral-typicality', 'builtin:moral-claims'],
    trainConfig: { architecture: 'topk', expansionFactor: 8, k: 32, batchSize: 1024, steps: 2000, lr: 3e-4, adamEps: 1e-8, normalizeDecoder: true, bDecInit: 'geometric_median', seed: 0 },
    backend: 'auto',
    selectedFeature: 1234,
    selection: { minRho: 0.3, minMargin: 0.1, maxFeatures: 32 },
    chosen: [5, 9, 1234],
    positions: 'last',
    editPenalty: 0.1,
  },
}

function payloadOf(url: string): string {
  return new URL(url).hash.split('x=')[1]
}

/** A payload built with node's zlib and crypto, independently of the encoder. */
function craft(value: unknown, check?: Buffer): string {
  const json = typeof value === 'string' ? value : JSON.stringify(value)
  const digest = check ?? createHash('sha256').update(json).digest().subarray(0, 4)
  return Buffer.concat([digest, deflateRawSync(Buffer.from(json))]).toString('base64url')
}

function error(r: ShareReadResult | undefined) {
  expect(r).toBeDefined()
  expect(r!.ok).toBe(false)
  return (r as { ok: false; error: { kind: string; message: string; path?: string } }).error
}

describe('share links: round trip', () => {
  it('config → URL → config is the identity, with every section', () => {
    const url = shareUrl(BASE, full)
    expect(url.startsWith('https://lab.example.org/moral-lens/?hub=https%3A%2F%2Fmirror.example%2F#/features?x=')).toBe(true)
    const back = readShareFromUrl(url)
    expect(back).toEqual({ ok: true, config: full })
  })

  it('minimal configs and every model source round-trip', () => {
    const configs: ShareConfigV1[] = [
      { v: 1, panel: 'model' },
      { v: 1, panel: 'model', model: { source: { kind: 'builtin', id: 'tiny-llama-instruct' } } },
      { v: 1, panel: 'model', model: { source: { kind: 'url', prefix: 'https://models.example.org/smol/' }, device: 'wasm' } },
      { v: 1, panel: 'stimuli', set: { kind: 'builtin', id: 'builtin:value-entanglement' } },
      { v: 1, panel: 'elicitation', elicitation: { options: { seed: 27565976 }, scorer: 'model' } },
    ]
    for (const c of configs) expect(parseShareHash(new URL(shareUrl(BASE, c)).hash)).toEqual({ ok: true, config: c })
  })

  it('the payload is base64url(first 4 bytes of SHA-256(canonical JSON) ‖ deflate-raw(canonical JSON))', () => {
    const bytes = Buffer.from(payloadOf(shareUrl(BASE, full)), 'base64url')
    const json = inflateRawSync(bytes.subarray(4)).toString('utf8')
    expect(json).toBe(canonicalJson(full))
    expect(bytes.subarray(0, 4).toString('hex')).toBe(createHash('sha256').update(json).digest('hex').slice(0, 8))
  })

  it('base64url agrees with node for every length and rejects stray characters and bits', () => {
    const rng = new Rng(3)
    for (let n = 0; n < 40; n++) {
      const b = Uint8Array.from({ length: n }, () => rng.int(256))
      const text = Buffer.from(b).toString('base64url')
      expect(base64UrlEncode(b)).toBe(text)
      expect(base64UrlDecode(text)).toEqual(b)
    }
    expect(base64UrlDecode('ab+/')).toBeUndefined()
    expect(base64UrlDecode('abcde')).toBeUndefined()
    expect(base64UrlDecode('AB')).toBeUndefined() // 'B' leaves a stray 1 bit
    expect(base64UrlDecode('AA')).toEqual(new Uint8Array([0]))
  })

  it('a hash without a payload is not a share link', () => {
    expect(parseShareHash('#/typicality')).toBeUndefined()
    expect(parseShareHash('#/typicality?layer=3')).toBeUndefined()
    expect(readShareFromUrl('https://lab.example.org/')).toBeUndefined()
    expect(readShareFromUrl('not a url')).toBeUndefined()
  })
})

describe('share links: damaged, changed and foreign links', () => {
  const payload = encodeShareConfig(full)

  it('a flipped character in the check code is reported as tampered', () => {
    const flipped = (payload[0] === 'A' ? 'B' : 'A') + payload.slice(1)
    const e = error(decodeSharePayload(flipped))
    expect(e.kind).toBe('tampered')
    expect(e.message).toMatch(/changed after it was made/)
  })

  it('no single changed character goes unnoticed unless it changes nothing', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const rng = new Rng(11)
    let detected = 0
    for (let i = 0; i < payload.length; i++) {
      let c = alphabet[rng.int(64)]
      if (c === payload[i]) c = alphabet[(alphabet.indexOf(c) + 1) % 64]
      const r = decodeSharePayload(payload.slice(0, i) + c + payload.slice(i + 1))
      if (r.ok) expect(r.config).toEqual(full)
      else {
        expect(['corrupt', 'tampered']).toContain(r.error.kind)
        detected++
      }
    }
    expect(detected).toBeGreaterThan(payload.length * 0.95)
  })

  it('a truncated link is damaged', () => {
    for (const keep of [0.2, 0.5, 0.9, 0.99]) {
      const e = error(decodeSharePayload(payload.slice(0, Math.floor(payload.length * keep))))
      expect(['corrupt', 'tampered']).toContain(e.kind)
    }
    expect(error(decodeSharePayload('')).kind).toBe('corrupt')
    expect(error(decodeSharePayload('not*base64')).message).toMatch(/damaged/)
  })

  it('valid compression of something that is not JSON is damaged; wrong UTF-8 too', () => {
    expect(error(decodeSharePayload(craft('{"v":1,'))).kind).toBe('corrupt')
    const badUtf8 = Buffer.from([0xff, 0xfe, 0x7b])
    const digest = createHash('sha256').update(badUtf8).digest().subarray(0, 4)
    expect(error(decodeSharePayload(Buffer.concat([digest, deflateRawSync(badUtf8)]).toString('base64url'))).kind).toBe('corrupt')
  })

  it('the panel in the address must match the settings', () => {
    const e = error(parseShareHash(`#/typicality?x=${payload}`))
    expect(e.kind).toBe('tampered')
    expect(e.message).toMatch(/#\/typicality.*features panel/)
  })

  it('oversized: a payload over the limit, and settings that unpack beyond the JSON limit', () => {
    const e = error(decodeSharePayload('A'.repeat(SHARE_PAYLOAD_MAX_CHARS + 1)))
    expect(e.kind).toBe('oversized')
    expect(e.message).toContain(`${SHARE_PAYLOAD_MAX_CHARS + 1} characters`)
    const bomb = craft(`{"v":1,"panel":"model","pad":"${' '.repeat(SHARE_JSON_MAX_BYTES)}"}`)
    expect(bomb.length).toBeLessThan(SHARE_PAYLOAD_MAX_CHARS)
    expect(error(decodeSharePayload(bomb)).kind).toBe('oversized')
  })

  it('the encoder refuses settings that would make a link over the limit', () => {
    const rng = new Rng(5)
    const id = () => Array.from({ length: 290 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[rng.int(36)]).join('')
    const big: ShareConfigV1 = { ...full, set: undefined, features: { ...full.features!, corpusSetIds: Array.from({ length: 32 }, id) } }
    expect(() => encodeShareConfig(big)).toThrow(ShareEncodeError)
    try {
      encodeShareConfig(big)
    } catch (e) {
      expect((e as ShareEncodeError).kind).toBe('oversized')
      expect((e as Error).message).toMatch(/a link holds at most 8000/)
    }
  })

  it('a newer settings version says the link was made by a newer Moral Lens', () => {
    const e = error(decodeSharePayload(craft({ v: 2, panel: 'model', somethingNew: true })))
    expect(e.kind).toBe('version')
    expect(e.message).toMatch(/made by a newer Moral Lens \(settings version 2\); this page reads version 1/)
  })

  it('migrateShareConfig passes v1 through and refuses what it cannot read', () => {
    const m = migrateShareConfig({ v: 1, panel: 'model' })
    expect(m).toEqual({ ok: true, value: { v: 1, panel: 'model' } })
    expect(error(migrateShareConfig({ v: 'one' }) as ShareReadResult).message).toBe('v: expected the settings version (an integer from 1), got "one"')
    expect(error(migrateShareConfig({ panel: 'model' }) as ShareReadResult).message).toBe('v: expected the settings version (an integer from 1), got nothing')
    expect(error(migrateShareConfig([1, 2]) as ShareReadResult).kind).toBe('invalid')
    expect(error(migrateShareConfig({ v: 3 }) as ShareReadResult).kind).toBe('version')
  })
})

describe('share links: strict validation', () => {
  const bad = (patch: (c: Record<string, any>) => void) => {
    const c = structuredClone(full) as Record<string, any>
    patch(c)
    return error(decodeSharePayload(craft(c)))
  }

  it('names the field and what was expected', () => {
    const e = bad((c) => (c.typicality.bootstrap = -3))
    expect(e).toEqual({
      kind: 'invalid',
      message: 'typicality.bootstrap: expected an integer between 0 and 10000, got -3',
      path: 'typicality.bootstrap',
    })
    expect(bad((c) => (c.typicality.pooling = 'max')).message).toBe('typicality.pooling: expected one of "last", "mean", "all", got "max"')
    expect(bad((c) => (c.panel = 'admin')).message).toMatch(/^panel: expected one of "model", "stimuli"/)
    expect(bad((c) => (c.elicitation.options.finalT = 0)).message).toBe('elicitation.options.finalT: expected a number above 0 and at most 1000000, got 0')
    expect(bad((c) => (c.elicitation.options.numSeed = 7)).message).toBe('elicitation.options.numSeed: expected an even integer between 0 and 10000, got 7')
    expect(bad((c) => (c.features.chosen = [1, 2.5])).message).toBe('features.chosen[1]: expected an integer between 0 and 16777216, got 2.5')
    expect(bad((c) => delete c.typicality.seed).message).toBe('typicality.seed: expected a value (the field is required)')
    expect(bad((c) => (c.set.set.items[1].gold = 2)).message).toBe('set.set.items[1].gold: expected 0 or 1, got 2')
    expect(bad((c) => (c.typicality.category = 'care.virtue.x')).path).toBe('typicality.category')
  })

  it('rejects unknown keys with their path, at every level', () => {
    expect(bad((c) => (c.typicality.extra = 1)).message).toMatch(/^typicality\.extra: expected a known field \(one of hookKind, pooling/)
    expect(bad((c) => (c.surprise = true)).path).toBe('surprise')
    expect(bad((c) => (c.features.trainConfig.hookName = 'blocks.0.hook_resid_post')).path).toBe('features.trainConfig.hookName')
    expect(bad((c) => (c.features.extraText = 'my private notes')).path).toBe('features.extraText')
    expect(bad((c) => (c.set.set.items[0].secretField = 'x')).path).toBe('set.set.items[0].secretField')
    expect(bad((c) => (c.model.source.folder = 'x')).path).toBe('model.source.folder')
  })

  it('limits string lengths and checks identifiers', () => {
    expect(bad((c) => (c.model.source.id = 'x'.repeat(97))).message).toBe(
      'model.source.id: expected a hub model id like org/name of at most 96 characters, got a string of 97 characters',
    )
    expect(bad((c) => (c.model.source.id = '../../etc/passwd')).path).toBe('model.source.id')
    expect(bad((c) => (c.model.source = { kind: 'url', prefix: 'javascript:alert(1)' })).message).toMatch(/^model\.source\.prefix: expected an http/)
    expect(bad((c) => (c.set = { kind: 'imported', name: 'x', hash: 'abc' })).path).toBe('set.hash')
    expect(bad((c) => (c.set = { kind: 'builtin', id: 'builtin:nope' })).path).toBe('set.id')
    expect(bad((c) => (c.set.set.id = 'builtin:moral-claims')).message).toMatch(/^set\.set\.id: expected an id of its own/)
    expect(bad((c) => (c.set.set.items[0].secretField = 'x')).message).toMatch(/^set\.set\.items\[0\]\.secretField: expected a known stimulus item field \(one of id, text,/)
  })

  it('refuses prototype-poisoning keys', () => {
    const json = canonicalJson(full).replace('"v":1', '"__proto__":{"polluted":1},"v":1')
    const e = error(decodeSharePayload(craft(json)))
    expect(e.path).toBe('__proto__')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('share links: privacy', () => {
  const encodeError = (c: unknown) => {
    try {
      encodeShareConfig(c as ShareConfigV1)
    } catch (e) {
      expect(e).toBeInstanceOf(ShareEncodeError)
      return e as ShareEncodeError
    }
    throw new Error('expected the encoder to refuse')
  }

  it('never encodes an API key, wherever it is and however it is spelled', () => {
    const withKey = { ...full, elicitation: { ...full.elicitation!, scorer: { kind: 'remote', baseUrl: 'http://localhost:8000', model: 'm', apiKey: 'sk-secret' } } }
    const e = encodeError(withKey)
    expect(e.kind).toBe('private')
    expect(e.path).toBe('elicitation.scorer.apiKey')
    expect(e.message).toMatch(/^elicitation\.scorer\.apiKey: expected no API keys, tokens or passwords here/)
    for (const key of ['api_key', 'API-KEY', 'Authorization', 'token', 'hf_token', 'accessToken', 'password'])
      expect(encodeError({ ...full, typicality: { ...full.typicality, [key]: 'x' } }).path).toBe(`typicality.${key}`)
    const inMeta = structuredClone(full)
    ;(inMeta.set as { set: StimulusSet }).set.items[0].meta = { apiKey: 'x' }
    expect(encodeError(inMeta).path).toBe('set.set.items[0].meta.apiKey')
  })

  it('refuses credential-looking values and addresses that carry secrets', () => {
    const token = 'hf_' + 'a1B2c3D4e5'.repeat(4)
    expect(encodeError({ ...full, model: { source: { kind: 'builtin', id: 'x' } }, features: { ...full.features!, corpusSetIds: [token] } }).path).toBe(
      'features.corpusSetIds[0]',
    )
    expect(encodeError({ ...full, model: { source: { kind: 'url', prefix: 'https://user:pw@models.example.org/m/' } } }).kind).toBe('private')
    const e = encodeError({ ...full, model: { source: { kind: 'url', prefix: 'https://models.example.org/m/?access_token=abc' } } })
    expect(e.message).toMatch(/query parameter "access_token"/)
  })

  it('a decoded link with a key is refused too', () => {
    const c = structuredClone(full) as Record<string, any>
    c.elicitation.scorer.api_key = 'sk-x'
    const e = error(decodeSharePayload(craft(c)))
    expect(e.kind).toBe('invalid')
    expect(e.path).toBe('elicitation.scorer.api_key')
    expect(e.message).toMatch(/never shared/)
  })

  it('a model from a local folder cannot be put in a link', () => {
    const local = { kind: 'local' as const, name: 'my-model', entries: [] }
    expect(() => shareModelSource(local)).toThrow(/opened from a folder on this computer/)
    expect(shareModelSource({ kind: 'hub', id: 'a/b', revision: 'main' })).toEqual({ kind: 'hub', id: 'a/b' })
    const e = encodeError({ ...full, model: { source: local } })
    expect(e.kind).toBe('private')
    expect(e.path).toBe('model.source')
    const d = error(decodeSharePayload(craft({ v: 1, panel: 'model', model: { source: { kind: 'local', name: 'x' } } })))
    expect(d.message).toMatch(/^model\.source: expected a hub id, a URL or a built-in model: a model opened from a folder/)
  })

  it('an imported set travels only as its name and hash', () => {
    const imported: StimulusSet = { ...small, id: 'import:cola:in_domain_train.tsv', name: 'in_domain_train.tsv (cola)', licence: IMPORT_LICENCE }
    expect(shareSetRef(imported)).toEqual({ kind: 'imported', name: imported.name, hash: stimulusSetHash(imported) })
    const byLicence = { ...small, licence: IMPORT_LICENCE }
    expect(shareSetRef(byLicence).kind).toBe('imported')
    const e = encodeError({ ...full, set: { kind: 'inline', set: imported } })
    expect(e.kind).toBe('private')
    expect(e.message).toMatch(/no imported rows.*travels as \{ kind: 'imported', name, hash \}/)
    const ref: ShareConfigV1 = { v: 1, panel: 'typicality', set: shareSetRef(imported) }
    expect(readShareFromUrl(shareUrl(BASE, ref))).toEqual({ ok: true, config: ref })
  })

  it('inline sets: built-in by id, small ones inline, big ones by hash; the encoder names the limit', () => {
    expect(shareSetRef(MORAL_TYPICALITY_SET)).toEqual({ kind: 'builtin', id: 'builtin:moral-typicality' })
    expect(shareSetRef(small)).toEqual({ kind: 'inline', set: small })
    const many: StimulusSet = { ...small, items: Array.from({ length: 51 }, (_, i) => ({ id: `i${i}`, text: `Claim ${i}.` })) }
    expect(shareSetRef(many).kind).toBe('imported')
    const e = encodeError({ ...full, set: { kind: 'inline', set: many } })
    expect(e.kind).toBe('oversized')
    expect(e.message).toBe("set.set.items: expected at most 50 items in an inline set (it has 51); share it as a file instead")
    const long: StimulusSet = { ...small, items: Array.from({ length: 20 }, (_, i) => ({ id: `i${i}`, text: 'x'.repeat(400) })) }
    const l = encodeError({ ...full, set: { kind: 'inline', set: long } })
    expect(l.kind).toBe('oversized')
    expect(l.message).toMatch(/^set\.set: expected at most 6144 bytes of items in an inline set \(it takes \d+\)/)
  })

  it('checkShareConfig reports size rules as oversized', () => {
    const many = { ...small, items: Array.from({ length: 60 }, (_, i) => ({ id: `i${i}`, text: `c${i}` })) }
    const r = checkShareConfig({ v: 1, panel: 'stimuli', set: { kind: 'inline', set: many } })
    expect(error(r).kind).toBe('oversized')
  })
})
