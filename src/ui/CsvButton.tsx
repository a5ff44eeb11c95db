import { toCsv, type CsvColumn } from '../core/export/csv.ts'
import { downloadText } from './plots/export.ts'

/** A "CSV" button that downloads a table through the shared RFC 4180 writer. */
export function CsvButton<R>(p: {
  columns: readonly (string | CsvColumn<R>)[]
  /** The rows, or a function that gets them when the button is pressed. */
  rows: readonly R[] | (() => readonly R[] | Promise<readonly R[]>)
  /** File name, without ".csv". */
  filename: string
  /** What the table holds: the accessible name of a plain "CSV" button is "Download {what} as CSV". */
  what: string
  /** Visible text instead of "CSV" (then also the accessible name, so label and name never disagree). */
  label?: string
  className?: string
  disabled?: boolean
  testId?: string
}) {
  const download = async () => {
    const rows = typeof p.rows === 'function' ? await p.rows() : p.rows
    downloadText(toCsv(p.columns, rows), `${p.filename.replace(/[^\w.-]+/g, '_')}.csv`, 'text/csv')
  }
  return (
    <button type="button" className={p.className ?? 'small secondary'} onClick={() => void download()} disabled={p.disabled} aria-label={p.label ? undefined : `Download ${p.what} as CSV`} title={`Download ${p.what} as CSV`} data-testid={p.testId}>
      {p.label ?? 'CSV'}
    </button>
  )
}
