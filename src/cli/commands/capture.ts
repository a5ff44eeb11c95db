// `capture <model-dir> --texts <file> --out <file>`: residual activations of a batch of texts to a
// safetensors file (tensor names = hook names) and a JSON sidecar with the texts and provenance.
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Command } from '../command.ts'
import { PROGRAM } from '../command.ts'
import { choiceOption, intOption } from '../args.ts'
import { UsageError } from '../io.ts'
import { openModelFolder, ortWebVersion, parseDtype, requireHookSupport } from '../model.ts'
import { readTexts } from '../texts.ts'
import { appVersion } from '../version.ts'
import { captureActivations, expandHooks, type CaptureResult, type Pooling } from '../../core/hooks/capture.ts'
import { HOOK_KINDS, parseHookName, type HookKind } from '../../core/hooks/locate.ts'
import { floatTensor, writeSafetensors, type SafetensorsInput } from '../../core/formats/safetensors.ts'
import type { ModelInfo } from '../../core/model/causal-lm.ts'

export const CAPTURE_FORMAT = 'moral-lens-activations'
export const CAPTURE_FORMAT_VERSION = 1
const POOLINGS: Pooling[] = ['last', 'mean', 'all']

/** `--hooks`: comma-separated kinds (resid_pre, resid_mid, resid_post) or hook names. */
export function parseHookList(raw: string): (string | HookKind)[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (!items.length) throw new UsageError('--hooks is empty')
  for (const h of items) {
    if ((HOOK_KINDS as string[]).includes(h)) continue
    try {
      parseHookName(h)
    } catch {
      throw new UsageError(`unknown hook "${h}": use ${HOOK_KINDS.join(', ')} or names like blocks.0.hook_resid_post`)
    }
  }
  return items
}

/** The sidecar written next to the safetensors file (`<out>.json`). */
export interface CaptureSidecar {
  format: typeof CAPTURE_FORMAT
  format_version: number
  safetensors: string
  safetensors_sha256: string
  dtype: 'F32'
  pooling: Pooling
  hooks: string[]
  d_model: number
  n_texts: number
  /** Rows of each tensor: texts for last/mean, tokens for all. */
  shapes: Record<string, [number, number]>
  texts: string[]
  ids?: string[]
  token_counts: number[]
  /** For pooling "all": rows of text i are offsets[i] .. offsets[i+1]. */
  offsets?: number[]
  token_ids: number[][]
  add_special_tokens: boolean
  texts_file: string
  model: {
    dir: string
    source_key: string
    architecture: string
    model_type: string
    n_layers: number
    d_model: number
    vocab_size: number
    dtype: string
    device: string
    onnx_path: string
    hook_style?: string
    random_weights: boolean
    files: { path: string; bytes: number }[]
  }
  provenance: {
    app: string
    app_version: string
    onnxruntime_web: string
    node: string
    created: string
    command: string[]
  }
}

export function buildSidecar(args: {
  result: CaptureResult
  info: ModelInfo
  dir: string
  texts: string[]
  ids?: string[]
  textsFile: string
  safetensorsPath: string
  safetensorsBytes: Uint8Array
  addSpecialTokens: boolean
  argv: readonly string[]
  tokenIds: number[][]
}): CaptureSidecar {
  const { result, info } = args
  const app = appVersion()
  return {
    format: CAPTURE_FORMAT,
    format_version: CAPTURE_FORMAT_VERSION,
    safetensors: basename(args.safetensorsPath),
    safetensors_sha256: createHash('sha256').update(args.safetensorsBytes).digest('hex'),
    dtype: 'F32',
    pooling: result.pooling,
    hooks: result.hooks,
    d_model: result.dModel,
    n_texts: args.texts.length,
    shapes: Object.fromEntries(result.hooks.map((h) => [h, result.activations[h].shape])),
    texts: args.texts,
    ...(args.ids ? { ids: args.ids } : {}),
    token_counts: result.tokenCounts,
    ...(result.offsets ? { offsets: result.offsets } : {}),
    token_ids: args.tokenIds,
    add_special_tokens: args.addSpecialTokens,
    texts_file: args.textsFile,
    model: {
      dir: resolve(args.dir),
      source_key: info.sourceKey,
      architecture: info.architecture,
      model_type: info.modelType,
      n_layers: info.nLayers,
      d_model: info.dModel,
      vocab_size: info.vocabSize,
      dtype: info.dtype,
      device: info.device,
      onnx_path: info.onnxPath,
      hook_style: info.hooks.style,
      random_weights: info.randomWeights,
      files: info.files,
    },
    provenance: {
      app: app.name,
      app_version: app.version,
      onnxruntime_web: ortWebVersion(),
      node: process.version,
      created: new Date().toISOString(),
      command: ['lab', ...args.argv],
    },
  }
}

export const captureCommand: Command = {
  name: 'capture',
  summary: 'capture residual-stream activations of texts to safetensors (+ JSON sidecar)',
  usage: `${PROGRAM} capture <model-dir> --texts <file> --out <file> [--hooks resid_post] [--pool last|mean|all] [--batch N]`,
  description:
    'Runs every text through the model (onnxruntime-web, WASM) and writes the chosen hooks to a safetensors file:\n' +
    'one F32 tensor per hook, named by the hook ([texts, d_model], or [tokens, d_model] for --pool all), with\n' +
    '__metadata__ (model, pooling, hooks, app version). A sidecar <out>.json holds the texts, token counts,\n' +
    'offsets (for --pool all), shapes and provenance.\n' +
    'Texts file: one text per line (.txt or any other name), JSONL with a "text" field per line (.jsonl), or a JSON\n' +
    'array of strings or {"text": ...} objects (.json).',
  spec: {
    positionals: [{ name: 'model-dir', description: 'folder with config.json, tokenizer.json and onnx/model*.onnx' }],
    options: {
      texts: { type: 'string', value: '<file>', description: 'the texts (.txt one per line, .jsonl, .json)' },
      out: { type: 'string', value: '<file>', description: 'safetensors file to write; the sidecar is <file>.json' },
      hooks: {
        type: 'string',
        value: '<list>',
        description: 'comma-separated kinds (resid_pre, resid_mid, resid_post: every layer) or hook names',
        default: 'resid_post',
      },
      pool: { type: 'string', value: '<how>', description: 'last token, mean over tokens, or all tokens', default: 'last' },
      batch: { type: 'string', value: '<N>', description: 'texts per forward pass', default: '8' },
      dtype: { type: 'string', value: '<dtype>', description: 'which ONNX file to open (fp32, fp16, q8, q4, …)' },
      'no-special-tokens': { type: 'boolean', description: 'tokenise without the tokenizer’s special tokens (BOS)' },
    },
  },
  examples: [
    `${PROGRAM} capture public/models/tiny-gpt2 --texts texts.txt --hooks resid_post --pool last --out acts.safetensors`,
    `${PROGRAM} capture my-model --texts set.jsonl --hooks resid_mid,blocks.3.hook_resid_post --pool all --out acts.safetensors`,
  ],
  async run(args, { io, argv }) {
    const dir = args.positionals[0]
    if (!args.strings.texts) throw new UsageError('capture needs --texts <file>')
    if (!args.strings.out) throw new UsageError('capture needs --out <file>')
    const hooksWanted = parseHookList(args.strings.hooks ?? 'resid_post')
    const pooling = choiceOption(args, 'pool', POOLINGS, 'last')
    const batchSize = intOption(args, 'batch', 8)
    const dtype = parseDtype(args.strings.dtype)
    const addSpecialTokens = !args.flags.has('no-special-tokens')
    const textsFile = args.strings.texts
    const { texts, ids } = readTexts(textsFile)
    const outPath = args.strings.out
    const sidecarPath = `${outPath}.json`

    const { model } = await openModelFolder(dir, { dtype })
    try {
      requireHookSupport(model, dir)
      let hooks: string[]
      try {
        hooks = expandHooks(model, hooksWanted)
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      const result = await captureActivations(model, texts, {
        hooks,
        pooling,
        batchSize,
        addSpecialTokens,
        onProgress: (done, total) => {
          if (io.interactive) io.stderr(`\rcaptured ${done}/${total} texts`)
        },
      })
      if (io.interactive) io.stderr('\n')
      const info = model.info
      const app = appVersion()
      const tensors: Record<string, SafetensorsInput> = {}
      for (const h of result.hooks) tensors[h] = floatTensor(result.activations[h].data, result.activations[h].shape)
      const bytes = writeSafetensors(tensors, {
        format: CAPTURE_FORMAT,
        format_version: String(CAPTURE_FORMAT_VERSION),
        model: info.sourceKey,
        model_dir: resolve(dir),
        architecture: info.architecture,
        dtype: info.dtype,
        pooling,
        hooks: result.hooks.join(','),
        d_model: String(info.dModel),
        n_texts: String(texts.length),
        sidecar: basename(sidecarPath),
        app: app.name,
        app_version: app.version,
        onnxruntime_web: ortWebVersion(),
      })
      const tokenIds = result.tokenIds ?? texts.map((t) => model.encode([t], addSpecialTokens).ids[0])
      const sidecar = buildSidecar({ result, info, dir, texts, ids, textsFile, safetensorsPath: outPath, safetensorsBytes: bytes, addSpecialTokens, argv, tokenIds })
      mkdirSync(dirname(resolve(outPath)), { recursive: true })
      writeFileSync(outPath, bytes)
      writeFileSync(sidecarPath, JSON.stringify(sidecar, null, 2) + '\n')
      io.stdout(
        JSON.stringify(
          { out: outPath, sidecar: sidecarPath, bytes: bytes.length, pooling, n_texts: texts.length, hooks: result.hooks.length, shape: sidecar.shapes[result.hooks[0]] },
          null,
          2,
        ) + '\n',
      )
    } finally {
      await model.dispose()
    }
  },
}
