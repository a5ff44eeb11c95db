// Value entanglement (issue 6): behavioural probe, embedding probe, residual-stream projections,
// ablation, and plain-language readings. Framework-free; the analysis worker wires it up.

export * from './distributions.ts'
export * from './regression.ts'
export * from './design.ts'
export * from './vectors.ts'
export * from './prompts.ts'
export * from './scorer.ts'
export * from './behaviour.ts'
export * from './embedding.ts'
export * from './projection.ts'
export * from './ablation.ts'
export * from './readings.ts'
