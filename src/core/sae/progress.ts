// Cancellation, progress and cooperative yielding for the long-running SAE analyses (feature
// statistics, evaluation, re-alignment), so a worker stays responsive to a cancel message.

export interface ProgressOptions {
  signal?: AbortSignal
  /** Called with (done, total) in the function's own units (texts, tokens, steps). */
  onProgress?: (done: number, total: number) => void
  /** When set, yield to the event loop at least this often (ms); otherwise run to the end without yielding. */
  yieldEveryMs?: number
}

/** A macrotask turn; MessageChannel avoids the 4 ms clamp of nested timers. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0))
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = () => {
      port1.close()
      resolve()
    }
    port2.postMessage(null)
  })
}

/**
 * Returns `maybeYield()`: throws the signal's reason when aborted, and yields to the event loop
 * when more than yieldEveryMs have passed since the last yield.
 */
export function createYielder(options: ProgressOptions): () => Promise<void> {
  const every = options.yieldEveryMs
  let last = Date.now()
  return async () => {
    options.signal?.throwIfAborted()
    if (every === undefined) return
    const now = Date.now()
    if (now - last < every) return
    await yieldToEventLoop()
    last = Date.now()
    options.signal?.throwIfAborted()
  }
}
