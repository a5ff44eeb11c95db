import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // ORT wasm sessions are heavy; two forks match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
  },
})
