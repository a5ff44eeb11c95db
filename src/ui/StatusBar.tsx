import { useEffect, useState } from 'react'
import { useModel } from '../state/modelStore.ts'
import { useJobs } from '../state/jobs.ts'
import { formatBytes, formatDuration } from './format.ts'
import { modelWorker } from '../state/modelWorker.ts'

interface MemoryReading {
  bytes: number
  what: string
}

async function readMemory(): Promise<MemoryReading | undefined> {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>
    memory?: { usedJSHeapSize: number }
  }
  if (perf.measureUserAgentSpecificMemory && globalThis.crossOriginIsolated) {
    try {
      const m = await perf.measureUserAgentSpecificMemory()
      return { bytes: m.bytes, what: 'tab and workers, as measured by the browser' }
    } catch {
      // Falls through to the heap reading.
    }
  }
  if (perf.memory) {
    const worker = await modelWorker().workerMemory()
    return { bytes: perf.memory.usedJSHeapSize + (worker.jsHeapBytes ?? 0), what: 'JavaScript heaps of the page and the model worker' }
  }
  return undefined
}

export function StatusBar() {
  const env = useModel((s) => s.env)
  const info = useModel((s) => s.info)
  const jobs = useJobs((s) => s.jobs)
  const [memory, setMemory] = useState<MemoryReading | undefined | null>(null)
  useEffect(() => {
    let alive = true
    const tick = () => readMemory().then((m) => alive && setMemory(m))
    void tick()
    const t = setInterval(tick, 10_000)
    return () => {
      alive = false
      clearInterval(t)
    }
  }, [info?.sourceKey])

  let backend = 'probing…'
  let backendTitle = ''
  if (info?.device === 'webgpu' && env?.gpu) {
    const g = env.gpu
    backend = `WebGPU · ${[g.vendor, g.architecture].filter(Boolean).join(' / ') || 'unknown adapter'}${g.isFallbackAdapter ? ' (software)' : ''}`
    backendTitle = info.deviceReason
  } else if (info?.device === 'wasm' && env) {
    backend = `WASM · ${env.wasmThreads} thread${env.wasmThreads === 1 ? '' : 's'}${env.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'}`
    backendTitle = `${info.deviceReason}. ${env.wasmThreadsReason}`
  } else if (env) backend = env.gpu ? 'WebGPU available' : 'WASM'

  return (
    <footer className="statusbar" aria-label="Status">
      <div className="status-item" data-testid="status-backend" title={backendTitle}>
        <span className="label">Backend</span> {backend}
      </div>
      <div className="status-item" data-testid="status-model">
        <span className="label">Model</span> {info ? `${info.sourceLabel} · ${info.dtype}` : 'none'}
      </div>
      <div className="status-item" data-testid="status-memory">
        <span className="label">Memory</span>{' '}
        {memory === null ? '…' : memory ? <span title={memory.what}>{formatBytes(memory.bytes)}</span> : 'not reported by this browser'}
      </div>
      <div className="status-jobs" aria-live="polite">
        {jobs.map((j) => (
          <div className="job" key={j.id} data-testid={`job-${j.id}`}>
            <span className="job-label">{j.label}</span>
            <progress max={1} value={j.fraction} aria-label={j.label} />
            {j.etaSeconds !== undefined && <span className="muted">{formatDuration(j.etaSeconds)} left</span>}
            {j.cancel && (
              <button className="small" onClick={j.cancel}>
                Cancel
              </button>
            )}
          </div>
        ))}
      </div>
    </footer>
  )
}
