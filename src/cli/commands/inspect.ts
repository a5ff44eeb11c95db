// `inspect <model-dir>`: what the lab sees in a model folder, as JSON.
import type { Command } from '../command.ts'
import { PROGRAM } from '../command.ts'
import { dtypeOptions } from '../../core/model/files.ts'
import { openModelFolder, parseDtype, requireHookSupport } from '../model.ts'

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'print the architecture and residual-stream hook points of a model folder as JSON',
  usage: `${PROGRAM} inspect <model-dir> [--dtype <dtype>]`,
  description:
    'Opens the model with the same loader as the browser (onnxruntime-web, WASM), locates and instruments its\n' +
    'residual stream, and prints {"architecture", "n_layers", "d_model", "style", "hooks": [...]} plus details.\n' +
    'Fails with a one-line message when the folder is not a model or its graph is not supported.',
  spec: {
    positionals: [{ name: 'model-dir', description: 'folder with config.json, tokenizer.json and onnx/model*.onnx' }],
    options: { dtype: { type: 'string', value: '<dtype>', description: 'which ONNX file to open (fp32, fp16, q8, q4, q4f16, …)', default: 'the smallest for WASM' } },
  },
  examples: [`${PROGRAM} inspect public/models/tiny-llama-instruct`],
  async run(args, { io }) {
    const dir = args.positionals[0]
    const { model, source } = await openModelFolder(dir, { dtype: parseDtype(args.strings.dtype) })
    try {
      requireHookSupport(model, dir)
      const { info } = model
      const hooks = info.hooks
      const listing = await source.list()
      const out = {
        architecture: info.architecture,
        n_layers: info.nLayers,
        d_model: info.dModel,
        style: hooks.style,
        hooks: hooks.names,
        model_type: info.modelType,
        n_heads: info.nHeads,
        vocab_size: info.vocabSize,
        dtype: info.dtype,
        dtypes: dtypeOptions(listing).map((o) => ({ dtype: o.dtype, onnx: o.onnxPath, bytes: o.bytes })),
        device: info.device,
        onnx_path: info.onnxPath,
        carrier: hooks.carrier,
        hook_values: hooks.values,
        inputs: info.inputNames.filter((n) => !n.startsWith('moral_lens')),
        outputs: info.outputNames.filter((n) => !n.startsWith('moral_lens')),
        random_weights: info.randomWeights,
        files: listing.map((f) => ({ path: f.path, bytes: f.size })),
      }
      io.stdout(JSON.stringify(out, null, 2) + '\n')
    } finally {
      await model.dispose()
    }
  },
}
