export { formatBytes } from '../core/model/files.ts'

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return ''
  if (seconds < 1) return '<1 s'
  if (seconds < 90) return `${Math.round(seconds)} s`
  const m = Math.floor(seconds / 60)
  if (m < 90) return `${m} min ${Math.round(seconds - m * 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}
