import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { main } from '../../src/cli/lab.ts'
import { bufferIo } from '../../src/cli/io.ts'
import type { CaptureSidecar } from '../../src/cli/commands/capture.ts'
import { BUILTIN_MODELS, buildTinyModel } from '../../src/core/testmodels/package.ts'
import { referenceForward } from '../../src/core/testmodels/reference.ts'
import { captureActivations } from '../../src/core/hooks/capture.ts'
import { HOOK_KINDS, hookName } from '../../src/core/hooks/locate.ts'
import { readSafetensors, tensorView } from '../../src/core/formats/safetensors.ts'
import { DataType, GraphBuilder } from '../../src/core/onnx/builder.ts'
import { encodeModel } from '../../src/core/onnx/proto.ts'
import type { CausalLM } from '../../src/core/model/causal-lm.ts'
import { loadBuild, maxAbsDiff } from '../core/hooks/helpers.ts'
import { tempDir, writeFolder } from './helpers.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const APP_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const TEXTS = ['It is good to help a friend.', 'Stealing', 'Claim: it is bad to lie to your parents.']

async function lab(...argv: string[]) {
  const io = bufferIo()
  const code = await main(argv, io)
  return { code, out: io.out, err: io.err }
}

function readCapture(out: string) {
  const file = readSafetensors(readFileSync(out), out)
  const sidecar = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as CaptureSidecar
  const tensor = (name: string) => {
    const t = file.tensors.get(name)
    if (!t || t.dtype !== 'F32') throw new Error(`no F32 tensor ${name}`)
    return { data: tensorView(t as typeof t & { dtype: 'F32' }), shape: t.shape }
  }
  return { file, sidecar, tensor }
}

/** A decoder-shaped graph (input_ids → logits) with no residual stream: the locator must refuse it. */
function graphWithoutResidualStream(vocab: number, d: number): Uint8Array {
  const b = new GraphBuilder()
  const ids = b.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length'])
  b.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length'])
  const embed = b.init('embed', [vocab, d], new Float32Array(vocab * d).fill(0.01))
  const unembed = b.init('unembed', [d, vocab], new Float32Array(vocab * d).fill(0.02))
  b.op('MatMul', [b.op('Gather', [embed, ids], { axis: 0 }), unembed], {}, { outputs: ['logits'] })
  b.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab])
  return encodeModel(b.model())
}

describe('npm run lab', () => {
  const build = buildTinyModel(BUILTIN_MODELS[0])
  const cfg = build.config
  const d = cfg.dModel
  const tmp = tempDir()
  const modelDir = writeFolder(join(tmp.dir, 'tiny'), build.files)
  let direct: CausalLM

  beforeAll(async () => {
    direct = await loadBuild(build)
    writeFileSync(join(tmp.dir, 'texts.txt'), `${TEXTS[0]}\r\n${TEXTS[1]}\n\n${TEXTS[2]}\n`)
  })
  afterAll(async () => {
    await direct.dispose()
    tmp.remove()
  })

  it('inspect prints the architecture, layer count, width, style and every hook as JSON', async () => {
    const r = await lab('inspect', modelDir)
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const json = JSON.parse(r.out)
    expect(Object.keys(json).slice(0, 5)).toEqual(['architecture', 'n_layers', 'd_model', 'style', 'hooks'])
    expect(json.architecture).toBe('LlamaForCausalLM')
    expect(json.n_layers).toBe(cfg.nLayers)
    expect(json.d_model).toBe(d)
    expect(json.style).toBe('unfused')
    const expected = Array.from({ length: cfg.nLayers }, (_, l) => HOOK_KINDS.map((k) => hookName(l, k))).flat()
    expect(json.hooks).toEqual(expected)
    expect(json.vocab_size).toBe(cfg.vocabSize)
    expect(json.dtypes.map((o: { dtype: string }) => o.dtype)).toEqual(['fp32'])
    expect(json.files.map((f: { path: string }) => f.path)).toContain('onnx/model.onnx')
  })

  it('capture writes resid_post at every layer exactly as captureActivations computes it, with metadata and sidecar', async () => {
    const out = join(tmp.dir, 'out', 'last.safetensors')
    const r = await lab('capture', modelDir, '--texts', join(tmp.dir, 'texts.txt'), '--hooks', 'resid_post', '--pool', 'last', '--batch', '2', '--out', out)
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ out, pooling: 'last', n_texts: 3, hooks: cfg.nLayers, shape: [3, d] })
    const want = await captureActivations(direct, TEXTS, { hooks: ['resid_post'], pooling: 'last', batchSize: 2 })
    const { file, sidecar, tensor } = readCapture(out)
    expect([...file.tensors.keys()].sort()).toEqual([...want.hooks].sort())
    for (const h of want.hooks) {
      const t = tensor(h)
      expect(t.shape).toEqual([3, d])
      expect(Array.from(t.data)).toEqual(Array.from(want.activations[h].data))
    }
    expect(file.metadata).toMatchObject({ pooling: 'last', hooks: want.hooks.join(','), app_version: APP_VERSION, dtype: 'fp32', d_model: String(d) })
    expect(file.metadata!.model).toMatch(/^local:tiny:/)
    expect(sidecar.texts).toEqual(TEXTS)
    expect(sidecar.token_counts).toEqual(want.tokenCounts)
    expect(sidecar.token_ids).toEqual(TEXTS.map((t) => direct.encode([t]).ids[0]))
    expect(sidecar.hooks).toEqual(want.hooks)
    expect(sidecar.shapes[want.hooks[0]]).toEqual([3, d])
    expect(sidecar.offsets).toBeUndefined()
    expect(sidecar.model).toMatchObject({ architecture: 'LlamaForCausalLM', n_layers: cfg.nLayers, d_model: d, dtype: 'fp32', hook_style: 'unfused' })
    expect(sidecar.provenance.app_version).toBe(APP_VERSION)
    expect(sidecar.provenance.command).toContain('capture')
  })

  it('capture --pool all of one named hook matches the independent reference forward pass token by token', async () => {
    const jsonl = join(tmp.dir, 'set.jsonl')
    const header = JSON.stringify({ moral_lens_stimuli: 1, id: 'demo', name: 'demo', count: 3 })
    writeFileSync(jsonl, [header, ...TEXTS.map((text, i) => JSON.stringify({ id: `s${i}`, text }))].join('\n') + '\n')
    const out = join(tmp.dir, 'all.safetensors')
    const r = await lab('capture', modelDir, '--texts', jsonl, '--hooks', 'blocks.1.hook_resid_mid', '--pool', 'all', '--out', out)
    expect(r.code).toBe(0)
    const { sidecar, tensor } = readCapture(out)
    expect(sidecar.ids).toEqual(['s0', 's1', 's2'])
    expect(sidecar.hooks).toEqual(['blocks.1.hook_resid_mid'])
    const t = tensor('blocks.1.hook_resid_mid')
    const offsets = sidecar.offsets!
    expect(offsets).toHaveLength(4)
    expect(t.shape).toEqual([offsets[3], d])
    sidecar.token_ids.forEach((ids, i) => {
      expect(ids).toHaveLength(offsets[i + 1] - offsets[i])
      const ref = referenceForward(cfg, build.weights, ids)
      expect(maxAbsDiff(t.data.subarray(offsets[i] * d, offsets[i + 1] * d), ref.residMid[1])).toBeLessThan(1e-4)
    })
  })

  it('capture --pool mean reads a JSON array and matches captureActivations', async () => {
    const json = join(tmp.dir, 'texts.json')
    writeFileSync(json, JSON.stringify([TEXTS[0], { text: TEXTS[2] }]))
    const out = join(tmp.dir, 'mean.safetensors')
    const r = await lab('capture', modelDir, '--texts', json, '--hooks', 'resid_pre,blocks.3.hook_resid_post', '--pool', 'mean', '--out', out)
    expect(r.code).toBe(0)
    const want = await captureActivations(direct, [TEXTS[0], TEXTS[2]], { hooks: ['resid_pre', 'blocks.3.hook_resid_post'], pooling: 'mean' })
    const { sidecar, tensor } = readCapture(out)
    expect(sidecar.hooks).toEqual(want.hooks)
    expect(want.hooks).toHaveLength(cfg.nLayers + 1)
    for (const h of want.hooks) expect(Array.from(tensor(h).data)).toEqual(Array.from(want.activations[h].data))
  })

  describe('errors are one line on stderr with a non-zero exit code', () => {
    const expectError = (r: { code: number; out: string; err: string }, code: number, message: RegExp) => {
      expect(r.code).toBe(code)
      expect(r.out).toBe('')
      expect(r.err.trimEnd().split('\n')).toHaveLength(1)
      expect(r.err).toMatch(message)
      expect(r.err).not.toMatch(/\n\s+at /)
    }

    it('a missing model folder', async () => {
      expectError(await lab('inspect', join(tmp.dir, 'nope')), 1, /^lab inspect: model folder .*nope does not exist/)
    })

    it('a folder without config.json', async () => {
      const dir = writeFolder(join(tmp.dir, 'no-config'), build.files, ['config.json'])
      expectError(await lab('inspect', dir), 1, /is not a model folder: config\.json is missing/)
    })

    it('a folder without tokenizer.json', async () => {
      const dir = writeFolder(join(tmp.dir, 'no-tokenizer'), build.files, ['tokenizer.json'])
      expectError(await lab('inspect', dir), 1, /tokenizer\.json is missing from .*no-tokenizer/)
    })

    it('a graph without a residual stream, with the locator’s reason', async () => {
      const files = new Map(build.files)
      files.set('onnx/model.onnx', graphWithoutResidualStream(cfg.vocabSize, 8))
      const dir = writeFolder(join(tmp.dir, 'unsupported'), files)
      const r = await lab('inspect', dir)
      expectError(r, 1, /unsupported graph in .*onnx\/model\.onnx: No residual stream found: the lab looks for a chain of Add nodes/)
      const texts = join(tmp.dir, 'texts.txt')
      expectError(await lab('capture', dir, '--texts', texts, '--out', join(tmp.dir, 'x.safetensors')), 1, /unsupported graph/)
    })

    it('an unknown hook, before and after the model is opened', async () => {
      const texts = join(tmp.dir, 'texts.txt')
      const out = join(tmp.dir, 'x.safetensors')
      expectError(await lab('capture', modelDir, '--texts', texts, '--out', out, '--hooks', 'resid_foo'), 2, /unknown hook "resid_foo"/)
      expectError(
        await lab('capture', modelDir, '--texts', texts, '--out', out, '--hooks', 'blocks.99.hook_resid_post'),
        2,
        /unknown hook "blocks\.99\.hook_resid_post"; this model has 12 hooks/,
      )
    })

    it('an empty or missing texts file', async () => {
      const empty = join(tmp.dir, 'empty.txt')
      writeFileSync(empty, '\n  \n')
      const out = join(tmp.dir, 'x.safetensors')
      expectError(await lab('capture', modelDir, '--texts', empty, '--out', out), 1, /empty\.txt has no texts/)
      expectError(await lab('capture', modelDir, '--texts', join(tmp.dir, 'none.txt'), '--out', out), 1, /texts file .*none\.txt does not exist/)
    })

    it('bad usage: unknown command, unknown option, missing arguments, bad values', async () => {
      expectError(await lab('frobnicate'), 2, /unknown command "frobnicate"; commands: inspect, capture/)
      expectError(await lab('capture', modelDir, '--textz', 'a'), 2, /unknown option --textz .*did you mean --texts/)
      expectError(await lab('capture', modelDir, '--out', 'x'), 2, /capture needs --texts/)
      expectError(await lab('inspect'), 2, /"inspect" needs <model-dir>/)
      expectError(await lab('capture', modelDir, '--texts', 't', '--out', 'x', '--pool', 'max'), 2, /--pool must be one of last, mean, all/)
      expectError(await lab('capture', modelDir, '--texts', 't', '--out', 'x', '--batch', '0'), 2, /--batch must be a positive integer/)
      expectError(await lab('inspect', modelDir, '--dtype', 'fp8'), 2, /--dtype must be one of fp32/)
    })

    it('--debug adds the stack trace', async () => {
      const r = await lab('inspect', join(tmp.dir, 'nope'), '--debug')
      expect(r.code).toBe(1)
      expect(r.err).toMatch(/does not exist\n\s+at /)
    })
  })

  it('--help for the tool and for each command', async () => {
    const tool = await lab('--help')
    expect(tool.code).toBe(0)
    expect(tool.out).toMatch(/Commands:\n\s+inspect\s+.*\n\s+capture\s+/)
    for (const [cmd, option] of [
      ['inspect', '--dtype'],
      ['capture', '--pool'],
    ]) {
      for (const argv of [[cmd, '--help'], ['help', cmd]]) {
        const r = await lab(...argv)
        expect(r.code).toBe(0)
        expect(r.out).toMatch(new RegExp(`^Usage: npm run lab -- ${cmd} `))
        expect(r.out).toContain(option)
      }
    }
    expect((await lab()).code).toBe(2)
    expect((await lab('--version')).out).toBe(`moral-lens ${APP_VERSION}\n`)
  })

  it('runs as a program: npx tsx src/cli/lab.ts', async () => {
    const run = promisify(execFile)
    const ok = await run('npx', ['tsx', 'src/cli/lab.ts', 'inspect', modelDir], { cwd: ROOT })
    expect(JSON.parse(ok.stdout)).toMatchObject({ architecture: 'LlamaForCausalLM', n_layers: cfg.nLayers, d_model: d, style: 'unfused' })
    const failed = await run('npx', ['tsx', 'src/cli/lab.ts', 'inspect', join(tmp.dir, 'nope')], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
    expect(failed?.code).toBe(1)
    const lines = failed!.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'))
    expect(lines).toEqual([`lab inspect: model folder ${join(tmp.dir, 'nope')} does not exist`])
  })
})

describe('capture output directory', () => {
  it('is created when missing', async () => {
    const build = buildTinyModel(BUILTIN_MODELS[1])
    const tmp = tempDir()
    try {
      const dir = writeFolder(join(tmp.dir, 'gpt2'), build.files)
      mkdirSync(join(tmp.dir, 'in'))
      writeFileSync(join(tmp.dir, 'in', 'a.txt'), 'One text only\n')
      const out = join(tmp.dir, 'deep', 'er', 'acts.safetensors')
      const r = await lab('capture', dir, '--texts', join(tmp.dir, 'in', 'a.txt'), '--out', out)
      expect(r.code).toBe(0)
      const { sidecar } = readCapture(out)
      expect(sidecar.model.architecture).toBe('GPT2LMHeadModel')
      expect(sidecar.shapes['blocks.0.hook_resid_post']).toEqual([1, build.config.dModel])
    } finally {
      tmp.remove()
    }
  })
})
