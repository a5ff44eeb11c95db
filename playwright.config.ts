import { defineConfig } from '@playwright/test'

import { COMPLETIONS_PORT, HUB_PORT, PREVIEW_PORT, SLOW_HUB_PORT } from './e2e/ports.ts'

// Debian's Chromium with WebGPU on (SwiftShader, CPU emulation) and no background networking.
const chromiumArgs = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  // measureUserAgentSpecificMemory resolves at once instead of waiting for a GC.
  '--enable-blink-features=ForceEagerMeasureMemory',
  '--js-flags=--expose-gc',
]

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PREVIEW_PORT}/`,
    viewport: { width: 1280, height: 720 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'off',
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: [
    {
      command: `npx vite preview --port ${PREVIEW_PORT} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${PREVIEW_PORT}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx tsx scripts/mock-hub.ts --port ${HUB_PORT}`,
      url: `http://127.0.0.1:${HUB_PORT}/api/models/moral-lens-test/tiny-gpt2/tree/main/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx tsx scripts/mock-hub.ts --port ${SLOW_HUB_PORT} --bytes-per-second 300000`,
      url: `http://127.0.0.1:${SLOW_HUB_PORT}/api/models/moral-lens-test/tiny-gpt2/tree/main/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx tsx scripts/mock-completions.ts --port ${COMPLETIONS_PORT} --key e2e-secret-key --model mock-lm`,
      url: `http://127.0.0.1:${COMPLETIONS_PORT}/v1/models`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
})
