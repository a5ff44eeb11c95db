// Statistics core: framework-free, deterministic under a seed, float64 accumulation.

export * from './linalg.ts'
export * from './rank.ts'
export * from './correlation.ts'
export * from './cluster.ts'
export * from './pca.ts'
export * from './ridge.ts'
export * from './rsa.ts'
