// The app's name and version (package.json), for provenance in the files the CLI writes.
import { readFileSync } from 'node:fs'

let cached: { name: string; version: string } | undefined

export function appVersion(): { name: string; version: string } {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string }
    cached = { name: pkg.name ?? 'moral-lens', version: pkg.version ?? '0.0.0' }
  }
  return cached
}
