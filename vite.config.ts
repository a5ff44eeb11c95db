import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { readFileSync } from 'node:fs'
import { serviceWorkerPlugin } from './scripts/service-worker.ts'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

// Cross-origin isolation lets onnxruntime-web use SharedArrayBuffer threads. Static hosts
// without these headers still work (single-threaded WASM; the status bar says why).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  // Relative base: the built site works from any sub-path of any static host.
  base: './',
  // The service worker (dist/sw.js) lists every emitted file, the built-in models included.
  plugins: [react(), serviceWorkerPlugin()],
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
})
