// `stimuli <file> [--format f] [--out set.jsonl]`: imports a dataset file with the same code as the
// browser and prints what was kept and dropped as JSON.
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Command } from '../command.ts'
import { PROGRAM } from '../command.ts'
import { CliError, UsageError } from '../io.ts'
import { openStimulusFile } from '../../core/importers/open.ts'
import { summarizeImport } from '../../core/importers/import.ts'
import { FORMAT_IDS, isFormatId, type FormatId } from '../../core/importers/types.ts'
import { stimulusSetToJsonl } from '../../core/stimuli/jsonl.ts'

export const stimuliCommand: Command = {
  name: 'stimuli',
  summary: 'import a dataset file (Social-Chemistry-101, ETHICS, Norm Bank, MFV, CoLA, generic) and summarise it as JSON',
  usage: `${PROGRAM} stimuli <file> [--format <format>] [--out <set.jsonl>]`,
  description:
    'Reads the file with the browser lab\'s streaming importers and prints {"format", "kept", "labels", "dropped"}.\n' +
    'The format is detected when not given. --out writes the imported set as a Moral Lens JSONL set.\n' +
    'Exits with 1 and one line naming the file, line and what was expected when the file cannot be read as that format.',
  spec: {
    positionals: [{ name: 'file', description: 'the dataset file (TSV, CSV, JSON or JSONL)' }],
    options: {
      format: { type: 'string', value: '<format>', description: `one of ${FORMAT_IDS.join(', ')}`, default: 'detected' },
      out: { type: 'string', value: '<set.jsonl>', description: 'write the imported set as JSONL' },
    },
  },
  examples: [`${PROGRAM} stimuli social-chem-101.v1.0.tsv --out social-chem.jsonl`, `${PROGRAM} stimuli cm_test.csv --format ethics-cm`],
  async run(args, { io }) {
    const file = args.positionals[0]
    if (!file) throw new UsageError('give the file to import')
    if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: no such file`)
    const format = args.strings.format ?? 'auto'
    if (format !== 'auto' && !isFormatId(format)) throw new UsageError(`unknown format "${format}"; use one of ${FORMAT_IDS.join(', ')}`)
    let result
    try {
      result = await openStimulusFile(createReadStream(file) as AsyncIterable<Uint8Array>, { fileName: basename(file), format: format as FormatId | 'auto' })
    } catch (e) {
      throw new CliError((e as Error).message)
    }
    if (args.strings.out) writeFileSync(args.strings.out, stimulusSetToJsonl(result.set))
    io.stdout(JSON.stringify(summarizeImport(result), null, 2) + '\n')
    if (result.droppedTotal > result.dropped.length)
      io.stderr(`note: ${result.droppedTotal} rows were dropped in all; the first ${result.dropped.length} are listed\n`)
  },
}
