// Rating prompts for each kind of value, split at the sentence into a shared prefix and a per-item
// suffix. The prompt's token ids are always prefix ids ++ suffix ids (tokenised separately), both on
// the cached path and when scoring from scratch, so the two paths see identical inputs.
import type { CausalLM } from '../model/causal-lm.ts'
import { renderChat } from '../model/tokenizer.ts'
import { singleTokenIds } from '../hooks/scoring.ts'
import { VALUE_ENTANGLEMENT_PROMPTS, VALUE_RATING_SCALE } from '../stimuli/builtin/value-entanglement.ts'
import type { StimulusSet, ValueKind } from '../stimuli/types.ts'

export type PromptStyle = 'chat' | 'completion'
export type DigitVariant = 'bare' | 'space'

type Encoder = Pick<CausalLM, 'tokenizer' | 'encode'>

/** Stands in for the sentence while the chat template renders (a private-use character). */
const SLOT = '\uE000'

export interface RatingPrompt {
  kind: ValueKind
  style: PromptStyle
  /** Which entry of the set's `prompts` (or of the built-in templates) was used. */
  templateKey: string
  templateSource: 'set' | 'builtin'
  template: string
  /** Rendered text before the sentence (chat template applied for 'chat'). */
  prefix: string
  /** Rendered text after the sentence. */
  after: string
  prefixIds: number[]
  /** Whether the prefix was tokenised with the tokenizer's special tokens (BOS); chat templates carry their own. */
  prefixSpecialTokens: boolean
}

export interface PromptIds {
  prefix: number[]
  suffix: number[]
  /** prefix ++ suffix: what every scoring path runs. */
  ids: number[]
}

/** 'chat' when the tokenizer has a chat template (instruct models), else 'completion'. */
export function resolvePromptStyle(model: Encoder, style: PromptStyle | 'auto' = 'auto'): PromptStyle {
  if (style === 'chat' && !model.tokenizer.chat_template)
    throw new Error('chat prompts need a chat template; this model has none (use style "completion")')
  if (style !== 'auto') return style
  return model.tokenizer.chat_template ? 'chat' : 'completion'
}

/**
 * The template for one kind: `prompts[kind]` for chat, `prompts[kind + '_completion']` for
 * completion (falling back to the other), from the set or, when the set has none for that kind,
 * the built-in value-entanglement templates.
 */
export function ratingTemplate(
  set: Pick<StimulusSet, 'prompts' | 'id'>,
  kind: ValueKind,
  style: PromptStyle,
): { key: string; template: string; source: 'set' | 'builtin' } {
  const keys = style === 'chat' ? [kind, `${kind}_completion`] : [`${kind}_completion`, kind]
  for (const [source, prompts] of [
    ['set', set.prompts],
    ['builtin', VALUE_ENTANGLEMENT_PROMPTS],
  ] as const) {
    for (const key of keys) {
      const template = prompts?.[key]
      if (template === undefined) continue
      const slots = template.split('{text}').length - 1
      if (slots !== 1) throw new Error(`${set.id}: prompt "${key}" has ${slots} {text} slots; expected exactly one`)
      return { key, template, source }
    }
  }
  throw new Error(`no rating prompt for "${kind}" (looked for ${keys.join(', ')})`)
}

export function buildRatingPrompt(
  model: Encoder,
  set: Pick<StimulusSet, 'prompts' | 'id'>,
  kind: ValueKind,
  style: PromptStyle,
): RatingPrompt {
  const { key, template, source } = ratingTemplate(set, kind, style)
  const filled = template.replace('{text}', SLOT)
  const rendered = style === 'chat' ? renderChat(model.tokenizer, [{ role: 'user', content: filled }]) : filled
  const parts = rendered.split(SLOT)
  if (parts.length !== 2)
    throw new Error(`prompt "${key}": the chat template did not keep the sentence slot exactly once (found ${parts.length - 1})`)
  const [prefix, after] = parts
  const prefixSpecialTokens = style === 'completion'
  // Encoded even when empty, so a completion frame that starts with the sentence still gets BOS.
  const prefixIds = model.tokenizer.encode(prefix, { add_special_tokens: prefixSpecialTokens })
  return { kind, style, templateKey: key, templateSource: source, template, prefix, after, prefixIds, prefixSpecialTokens }
}

/** Token ids of one item's prompt: the prefix ids and the separately tokenised sentence + rest. */
export function promptIds(model: Encoder, prompt: RatingPrompt, text: string): PromptIds {
  const suffix = model.tokenizer.encode(text + prompt.after, { add_special_tokens: false })
  if (prompt.prefixIds.length + suffix.length === 0) throw new Error(`the prompt for "${text}" is empty after tokenisation`)
  return { prefix: prompt.prefixIds, suffix, ids: [...prompt.prefixIds, ...suffix] }
}

/** The whole prompt as text, for display. */
export function promptText(prompt: RatingPrompt, text: string): string {
  return prompt.prefix + text + prompt.after
}

export interface DigitTokens {
  variant: DigitVariant
  /** "1".."7" or " 1".." 7". */
  strings: string[]
  ids: number[]
  /** Rating value of each token (1..7). */
  values: number[]
  reason: string
}

/**
 * The rating tokens. Chat answers start a fresh assistant turn, so bare digits come first;
 * completion frames end in ':' and the natural continuation is ' 4', so the spaced digits come
 * first. Whichever variant the tokenizer keeps as single tokens for all seven is used.
 */
export function ratingDigits(
  model: CausalLM,
  style: PromptStyle,
  prefer: DigitVariant | 'auto' = 'auto',
  scale: { min: number; max: number } = VALUE_RATING_SCALE,
): DigitTokens {
  const values = Array.from({ length: scale.max - scale.min + 1 }, (_, i) => scale.min + i)
  const order: DigitVariant[] = prefer !== 'auto' ? [prefer] : style === 'chat' ? ['bare', 'space'] : ['space', 'bare']
  const problems: string[] = []
  for (const variant of order) {
    const strings = values.map((v) => (variant === 'space' ? ` ${v}` : String(v)))
    let ids: number[]
    try {
      ids = singleTokenIds(model, strings)
    } catch (e) {
      problems.push((e as Error).message)
      continue
    }
    if (new Set(ids).size !== ids.length) throw new Error(`the rating tokens ${strings.join(', ')} are not distinct token ids`)
    const name = variant === 'bare' ? 'bare digits "1".."7"' : 'digits with a leading space " 1".." 7"'
    const reason =
      variant === order[0]
        ? `${name}: the natural next token after a ${style} prompt, and each is one token`
        : `${name}: the preferred variant is not one token each (${problems.join('; ')})`
    return { variant, strings, ids, values, reason }
  }
  throw new Error(`no single-token rating digits for this tokenizer: ${problems.join('; ')}`)
}
