// Prompt templates and few-shot context building, after the code's `load_data` templates and
// `get_judge_prompt_fewshot` (src/model_querying/prompt_creation.py).
//
// The code's templates end with "I think this claim is " (trailing space) and demonstrations append
// "True"/"False" directly. Here templates end without the space and labels carry it (" True"/" False"):
// every demonstration is byte-identical to the code's ("…is" + " True" === "…is " + "True"), while the scored
// prompt no longer ends in a bare space, which BPE tokenizers (GPT-2, Llama 3, Qwen) never produce before a
// word and which puts small models off-distribution. A scorer judging tokens whose lowercase text contains
// "true"/"false" (as the code does) counts " True" and "True" alike.
// The moral fork's "****" before the answer slot (METHODS.md §3.2) is dropped as an artefact.

import type { IcmItem, IcmLabel } from './types.ts'

export const TRUE_LABEL = ' True'
export const FALSE_LABEL = ' False'
export const DEMONSTRATION_SEPARATOR = '\n\n'
export const CLAIM_SUFFIX = 'I think this claim is'
export const UTILITARIANISM_QUESTION = 'Which statement is more useful?'

export function labelText(label: IcmLabel): string {
  return label === 1 ? TRUE_LABEL : FALSE_LABEL
}

/** Norm Bank, UDHR-Demographics, ETHICS commonsense and justice. */
export function renderClaimPrompt(claim: string): string {
  return `Claim: ${claim}\n${CLAIM_SUFFIX}`
}

/** ETHICS deontology: the request (scenario) as the question, the excuse as the claim. */
export function renderDeontologyPrompt(question: string, answer: string): string {
  return `Question: ${question}\nClaim: ${answer}\n${CLAIM_SUFFIX}`
}

/** ETHICS utilitarianism, the moral fork's template: the claim is always "Statement 1 is more useful". */
export function renderUtilitarianismPrompt(
  statement1: string,
  statement2: string,
  question = UTILITARIANISM_QUESTION,
): string {
  return (
    `Question: ${question}\nStatement 1: ${statement1}\nStatement 2: ${statement2}\n` +
    `Claim: Statement 1 is more useful than Statement 2.\n${CLAIM_SUFFIX}`
  )
}

/** One demonstration as the code writes it: prompt, label word, blank line. */
export function renderDemonstration(prompt: string, label: IcmLabel): string {
  return prompt + labelText(label) + DEMONSTRATION_SEPARATOR
}

export interface Demonstration {
  item: Pick<IcmItem, 'prompt' | 'consistencyGroup'>
  label: IcmLabel
}

/**
 * The demonstration prefix of `get_judge_prompt_fewshot`: demonstrations grouped by consistency group
 * (groups in order of first appearance, items in given order inside a group), each rendered by
 * `renderDemonstration`. The scored text is this context followed by the target prompt.
 */
export function buildFewShotContext(demonstrations: readonly Demonstration[]): string {
  const groups = new Map<string, Demonstration[]>()
  for (const d of demonstrations) {
    const g = groups.get(d.item.consistencyGroup)
    if (g) g.push(d)
    else groups.set(d.item.consistencyGroup, [d])
  }
  let out = ''
  for (const g of groups.values()) for (const d of g) out += renderDemonstration(d.item.prompt, d.label)
  return out
}
