// True when the module is the program being run (not imported by bench/run.ts).
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export function isMain(importMetaUrl: string): boolean {
  if (!process.argv[1]) return false
  try {
    return importMetaUrl === pathToFileURL(realpathSync(process.argv[1])).href
  } catch {
    return false
  }
}
