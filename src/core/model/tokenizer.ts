// Tokenizers come from transformers.js, built from the JSON files we fetched ourselves (so
// the lab controls downloads, progress, caching and cancellation).
import * as transformers from '@huggingface/transformers'
import type { PreTrainedTokenizer } from '@huggingface/transformers'

export type Tokenizer = PreTrainedTokenizer

export function createTokenizer(tokenizerJson: object, tokenizerConfig: Record<string, unknown>): Tokenizer {
  const name = String(tokenizerConfig.tokenizer_class ?? 'PreTrainedTokenizer').replace(/Fast$/, '')
  const registry = transformers as unknown as Record<string, new (j: object, c: object) => Tokenizer>
  const Cls = registry[name] && name.endsWith('Tokenizer') ? registry[name] : transformers.PreTrainedTokenizer
  return new Cls(tokenizerJson, tokenizerConfig)
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** Renders messages with the tokenizer's chat template, as text (generation prompt appended). */
export function renderChat(tokenizer: Tokenizer, messages: ChatMessage[]): string {
  if (!tokenizer.chat_template) throw new Error('This model has no chat template (it is probably a base model); use a completion prompt.')
  return tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string
}
