// Streaming importers for users' own dataset files (Social-Chemistry-101, ETHICS, Norm Bank/UDHR, MFV, CoLA,
// generic CSV/TSV/JSONL) into the stimulus model.

export * from './types.ts'
export {
  importStimuli,
  summarizeImport,
  countLabels,
  chunksOf,
  readableStreamChunks,
  IMPORT_LICENCE,
} from './import.ts'
export { detectFormat, FORMATS } from './detect.ts'
export { suggestMapping, mappingKey, sampleHeaders, DEFAULT_GENERIC_OPTIONS } from './formats/generic.ts'
export {
  socialChemTypicality,
  socialChemMoralVector,
  agreementWeight,
  AGREEMENT_MIDPOINTS,
  SOCIAL_CHEM_COLUMNS,
  DEFAULT_SOCIAL_CHEM_OPTIONS,
} from './formats/social-chem.ts'
export { udhrCategoryFromFileName } from './formats/normbank.ts'
export { decodeText, decodeWindows1252, findInvalidUtf8, type DecodeState, type EncodingProblem } from './text.ts'
export {
  DelimitedParser,
  parseDelimited,
  parseDelimitedText,
  sniffDelimiter,
  type DelimitedRecord,
  type DelimitedOptions,
} from './csv.ts'
export { JsonRecordParser, parseJsonRecords, parseJsonText, type JsonRecord } from './json.ts'
export { analyseSample, type Sample, type FormatDefinition } from './format.ts'
