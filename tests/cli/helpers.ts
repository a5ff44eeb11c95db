import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Writes a model's files (relative path → bytes) under `dir`. */
export function writeFolder(dir: string, files: Map<string, Uint8Array>, drop: string[] = []): string {
  for (const [rel, bytes] of files) {
    if (drop.includes(rel)) continue
    const path = join(dir, rel)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, bytes)
  }
  return dir
}

export function tempDir(prefix = 'moral-lens-cli-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
