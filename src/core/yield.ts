// Long work in a worker must let messages through (pause, cancel, progress requests): awaiting
// resolved promises never does, because onnxruntime's WASM runs complete synchronously. This
// yields a real macrotask once the given time budget has passed since the last yield.
let lastYield = Date.now()

export async function yieldIfDue(budgetMs = 25): Promise<void> {
  if (Date.now() - lastYield < budgetMs) return
  await new Promise<void>((r) => setTimeout(r, 0))
  lastYield = Date.now()
}
