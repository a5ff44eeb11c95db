// What a lab notebook holds: the configuration (the share-link schema), the results the panels hold,
// and where they came from. Result sections are built from the core types the analyses return, so a
// store's objects fit as they are; typed arrays and NaN/±Infinity inside them survive the file
// (see json.ts).
import type { ShareConfigV1 } from '../share/link.ts'
import type { Dtype } from '../model/catalog.ts'
import type { Device } from '../model/device.ts'
import type { HookKind } from '../hooks/locate.ts'
import type { Pooling } from '../hooks/capture.ts'
import type { TypicalityReport } from '../typicality/diagnostics.ts'
import type { EntanglementProbes } from '../entanglement/session.ts'
import type { AblationResult } from '../entanglement/ablation.ts'
import type { ElicitationOptions, ElicitationResult } from '../icm/session.ts'
import type { IcmWarning } from '../icm/icm.ts'
import type { MaybeLabel } from '../icm/types.ts'
import type { CorpusSummary, SaeBackendChoice, SaeSummary } from '../sae/lab.ts'
import type { SaeStepMetrics } from '../sae/train.ts'
import type { ReconstructionEvaluation, SpliceEvaluation } from '../sae/evaluation.ts'
import type { MoralFeature, MoralLabel } from '../sae/labels.ts'
import type { RealignmentResult } from '../sae/realign.ts'
import type { PairwiseJudgement, PairwiseTrial } from '../sae/behaviour.ts'

export const NOTEBOOK_FORMAT = 'moral-lens-notebook'
export const NOTEBOOK_VERSION = 1

export interface NotebookModelProvenance {
  sourceKey: string
  label: string
  kind: 'hub' | 'url' | 'builtin' | 'local'
  revision?: string
  dtype: Dtype
  device: Device
  deviceReason?: string
  /** The lab's generated test models: their numbers say nothing about real models. */
  randomWeights: boolean
}

export interface NotebookBackendProvenance {
  device: Device
  wasmThreads?: number
  gpu?: { vendor: string; architecture: string }
}

export interface NotebookProvenance {
  /** Absent when no model was loaded (e.g. elicitation through a remote endpoint only). */
  model?: NotebookModelProvenance
  backend?: NotebookBackendProvenance
  userAgent?: string
}

/** One Moral typicality run (the shape of the panel's TypicalityResult). */
export interface NotebookTypicalityRun {
  key: string
  modelKey: string
  modelLabel: string
  dtype: string
  device: string
  randomWeights: boolean
  setId: string
  setName: string
  setHash: string
  authoredTypicality: boolean
  hookKind: HookKind
  pooling: Pooling
  createdAt: string
  report: TypicalityReport
}

export interface NotebookEntanglement {
  modelLabel?: string
  randomWeights?: boolean
  probes: EntanglementProbes
  ablation?: AblationResult
}

/** One point of the ICM search curve. */
export interface NotebookIcmPoint {
  iteration: number
  energy: number
  temperature: number
  goldAgreement: number | null
  labelled: number
}

export interface NotebookElicitation {
  setName?: string
  /** 'done' with a result; 'partial' when the run was stopped and only the labels so far are kept. */
  status: 'done' | 'partial'
  options?: ElicitationOptions
  /** Present when the run finished. */
  result?: ElicitationResult
  /** Per training item, aligned: id, text, elicited label (null = unlabelled) and gold label (null = none). */
  itemIds: string[]
  itemTexts: string[]
  labels: MaybeLabel[]
  gold: (0 | 1 | null)[]
  points?: NotebookIcmPoint[]
  flips?: number[]
  accepted?: number
  rejected?: number
  forwardPasses?: number
  warnings?: IcmWarning[]
}

export interface NotebookSaeBehaviour {
  editLabel?: string
  prompts?: number
  maxTokens?: number
  temperature?: number
  seed?: number
  trials: PairwiseTrial[]
  judgements: PairwiseJudgement[]
  modelJudgements: PairwiseJudgement[]
}

export interface NotebookFeatures {
  hook?: string
  corpus?: CorpusSummary & { setName: string; sources: { name: string; passages: number }[]; modelKey?: string }
  backend?: SaeBackendChoice
  trainRun?: { stepsCompleted: number; steps: number; cancelled: boolean }
  history?: SaeStepMetrics[]
  sae?: SaeSummary
  evaluation?: ReconstructionEvaluation & { split: 'held-out' | 'all' }
  splice?: SpliceEvaluation
  labels?: MoralLabel[]
  labelledSet?: { name: string; items: number; fallback: boolean }
  moral?: MoralFeature[]
  chosen?: number[]
  realignment?: RealignmentResult
  positions?: 'all' | 'last'
  editPenalty?: number
  diagnostics?: { before: TypicalityReport; after: TypicalityReport; hook: string }
  behaviour?: NotebookSaeBehaviour
  /** True when the SAE's SAELens files are attached (SAE_CFG_ATTACHMENT, SAE_WEIGHTS_ATTACHMENT). */
  saeFilesAttached?: boolean
}

export interface NotebookResults {
  typicality?: NotebookTypicalityRun[]
  entanglement?: NotebookEntanglement
  elicitation?: NotebookElicitation
  features?: NotebookFeatures
}

export interface Notebook {
  format: typeof NOTEBOOK_FORMAT
  version: typeof NOTEBOOK_VERSION
  /** ISO 8601 time the notebook was written. */
  createdAt: string
  app: { name: string; version: string }
  provenance: NotebookProvenance
  /** The experiment's settings: the share-link schema, without the link's size limit. */
  config: ShareConfigV1
  results: NotebookResults
  /** The student's own notes, one paragraph each. */
  notes?: string[]
}

/** Extra files in the ZIP, by path ("sae/cfg.json"); never "notebook.json". */
export type NotebookAttachments = Record<string, Uint8Array>

/** What notebook.json lists about each attachment, checked when reading. */
export interface NotebookAttachmentInfo {
  path: string
  bytes: number
  sha256: string
}
