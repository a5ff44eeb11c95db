// The activation store (issue 4): persisted captures keyed by model + set + pooling + hook, quota
// checks, and exports/imports for Python.
export * from './backend.ts'
export * from './exchange.ts'
export * from './fp16.ts'
export * from './indexeddb.ts'
export * from './key.ts'
export * from './quota.ts'
export * from './store.ts'
export * from './types.ts'
