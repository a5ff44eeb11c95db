// Collecting the files of a folder the user picked or dropped, with their relative paths.
import type { LocalFileEntry } from '../core/model/sources.ts'

export function entriesFromFileList(files: FileList): LocalFileEntry[] {
  return Array.from(files, (file) => ({ path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file }))
}

async function readEntry(entry: FileSystemEntry, prefix: string, out: LocalFileEntry[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ path: prefix + entry.name, file })
    return
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
    if (batch.length === 0) break
    for (const child of batch) await readEntry(child, `${prefix}${entry.name}/`, out)
  }
}

export async function entriesFromDrop(items: DataTransferItemList): Promise<{ name: string; entries: LocalFileEntry[] }> {
  const roots = Array.from(items)
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e)
  const entries: LocalFileEntry[] = []
  for (const r of roots) await readEntry(r, '', entries)
  const name = roots.length === 1 && roots[0].isDirectory ? roots[0].name : 'dropped files'
  return { name, entries }
}
