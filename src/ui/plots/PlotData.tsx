import { createContext, useContext, useState } from 'react'
import { CsvButton } from '../CsvButton.tsx'
import type { PlotTable } from './summaries.ts'

/** What a plot inside a PlotFrame knows about its frame. */
export const PlotContext = createContext<{ name: string; title: string; readingId?: string } | null>(null)

/** The svg's aria-describedby: the plot's own summary, then the frame's plain-language reading. */
export function useDescribedBy(summaryId: string): string {
  const ctx = useContext(PlotContext)
  return [summaryId, ctx?.readingId].filter(Boolean).join(' ')
}

const cell = (v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? String(+v.toPrecision(4)) : '–') : v === null || v === undefined ? '' : String(v))

/**
 * A plot's text alternative: a visually hidden summary (the svg's description) and the plotted data
 * as a table on demand, with a CSV download. The table is the keyboard equivalent of hover tooltips.
 */
export function PlotData({ id, summary, table }: { id: string; summary: string; table: PlotTable }) {
  const ctx = useContext(PlotContext)
  // Rendered only while open: training curves can have thousands of rows and update live.
  const [open, setOpen] = useState(false)
  const title = ctx?.title ?? 'the plot'
  return (
    <>
      <p id={id} className="sr-only">
        {summary}
      </p>
      <details className="plot-data" onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary className="small-text">
          Data as table<span className="sr-only">: {title}</span>
        </summary>
        {open && (
          <div className="plot-data-body">
            <CsvButton columns={table.columns} rows={table.rows} filename={ctx?.name ?? 'plot-data'} what={`the data of “${title}”`} />
            {/* Focusable so keyboard users can scroll a long table. */}
            <div className="table-scroll" tabIndex={0} role="region" aria-label={`Data of “${title}”`}>
              <table className="small-text">
                <caption className="sr-only">Data of “{title}”</caption>
                <thead>
                  <tr>
                    {table.columns.map((c, i) => (
                      <th key={i} scope="col">
                        {c}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {table.rows.map((r, i) => (
                    <tr key={i}>
                      {r.map((v, j) => (
                        <td key={j}>{cell(v)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        )}
      </details>
    </>
  )
}
