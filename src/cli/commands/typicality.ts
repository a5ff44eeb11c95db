// `typicality --acts <activations.safetensors> --stimuli <set.jsonl> [--seed N]`: the moral-indifference
// diagnostics on exported activations, as JSON, with the same core as the browser panel.
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Command } from '../command.ts'
import { PROGRAM } from '../command.ts'
import { intOption } from '../args.ts'
import { CliError, UsageError } from '../io.ts'
import { readSafetensors, tensorToFloat32 } from '../../core/formats/safetensors.ts'
import { openStimulusFile } from '../../core/importers/open.ts'
import { computeTypicalityDiagnostics } from '../../core/typicality/diagnostics.ts'
import { parseHookName } from '../../core/hooks/locate.ts'

export const typicalityCommand: Command = {
  name: 'typicality',
  summary: 'run the four moral-indifference diagnostics on exported activations and print them as JSON',
  usage: `${PROGRAM} typicality --acts <activations.safetensors> --stimuli <set.jsonl> [--seed N]`,
  description:
    'Reads activations whose tensor names are hook names ([n_items, d_model]: last or mean pooling), as written by\n' +
    '`capture` or exported from the browser, and the stimulus set they were captured from (its rows in the same order).\n' +
    'Prints {"hooks": [{hook, layer, categorical, gradient, structural, dimensional, rsa}, ...], "counts", "options", "notes"}.',
  spec: {
    positionals: [],
    options: {
      acts: { type: 'string', value: '<file>', description: 'safetensors file of activations' },
      stimuli: { type: 'string', value: '<file>', description: 'the stimulus set (Moral Lens JSONL, or any importable file)' },
      seed: { type: 'string', value: '<N>', description: 'seed for bootstrap, k-means and folds', default: '1' },
      bootstrap: { type: 'string', value: '<N>', description: 'bootstrap resamples for the Spearman CIs', default: '1000' },
      'pca-dims': { type: 'string', value: '<N|none>', description: 'PCA dimensions for clustering and the probe', default: '50' },
    },
  },
  examples: [`${PROGRAM} typicality --acts acts.safetensors --stimuli moral-typicality.jsonl --seed 1`],
  async run(args, { io }) {
    const acts = args.strings.acts
    const stimuli = args.strings.stimuli
    if (!acts || !stimuli) throw new UsageError('give --acts and --stimuli')
    for (const f of [acts, stimuli]) if (!existsSync(f)) throw new CliError(`${f}: no such file`)
    const seed = intOption(args, 'seed', 1)
    const bootstrap = intOption(args, 'bootstrap', 1000)
    const pcaRaw = args.strings['pca-dims'] ?? '50'
    const pcaDims = pcaRaw === 'none' ? null : Number(pcaRaw)
    if (pcaDims !== null && !(Number.isInteger(pcaDims) && pcaDims > 0)) throw new UsageError(`--pca-dims must be a positive integer or none, got ${pcaRaw}`)
    let file
    try {
      file = readSafetensors(new Uint8Array(readFileSync(acts)), basename(acts))
    } catch (e) {
      throw new CliError((e as Error).message)
    }
    let set
    try {
      set = (await openStimulusFile(createReadStream(stimuli) as AsyncIterable<Uint8Array>, { fileName: basename(stimuli) })).set
    } catch (e) {
      throw new CliError((e as Error).message)
    }
    const layers = []
    for (const [name, t] of file.tensors) {
      let parsed
      try {
        parsed = parseHookName(name)
      } catch {
        continue
      }
      if (t.shape.length !== 2) throw new CliError(`${basename(acts)}: tensor ${name} has shape [${t.shape.join(', ')}]; expected [n_items, d_model]`)
      if (t.shape[0] !== set.items.length)
        throw new CliError(
          `${basename(acts)}: tensor ${name} has ${t.shape[0]} rows but ${basename(stimuli)} has ${set.items.length} items (was it captured with pooling "all", or from another set?)`,
        )
      layers.push({ hook: name, layer: parsed.layer, acts: { data: tensorToFloat32(t), rows: t.shape[0], cols: t.shape[1] } })
    }
    if (!layers.length) throw new CliError(`${basename(acts)}: no tensor is named like a hook (blocks.<layer>.hook_resid_post)`)
    layers.sort((a, b) => a.layer - b.layer || a.hook.localeCompare(b.hook))
    const report = await computeTypicalityDiagnostics(layers, set.items, { seed, bootstrap, pcaDims })
    io.stdout(JSON.stringify({ hooks: report.layers, counts: report.counts, options: report.options, notes: report.notes }, null, 2) + '\n')
  },
}
