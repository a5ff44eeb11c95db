// Turning errors into what happened, what it means and what to do next.
export interface UserError {
  title: string
  message: string
  hint: string
  cancelled?: boolean
}

export function describeError(e: unknown, what: string, previousKept = false): UserError {
  const kept = previousKept ? ' The model you had before is still loaded.' : ''
  const message = e instanceof Error ? e.message : String(e)
  if (/abort|cancel/i.test(message) || (e instanceof Error && e.name === 'AbortError'))
    return { title: 'Cancelled', message: `Loading ${what} was cancelled.`, hint: '', cancelled: true }
  if (/tokenizer\.json is missing/.test(message))
    return { title: `Could not load ${what}`, message, hint: 'Add the tokenizer.json from the model repository to the folder and try again.' + kept }
  if (/could not be read as an ONNX model|truncated/.test(message))
    return { title: `Could not load ${what}`, message, hint: 'The .onnx file is damaged or incomplete (an interrupted download?). Download it again.' + kept }
  if (/Could not reach|HTTP|fetch/i.test(message))
    return { title: `Could not download ${what}`, message, hint: 'Check the connection or the address.' + kept }
  return { title: `Could not load ${what}`, message, hint: kept.trim() }
}
