import { useId, useRef, type ReactNode } from 'react'
import { downloadPng, downloadSvg } from './export.ts'
import { PlotContext } from './PlotData.tsx'

/**
 * A figure with a question as title, the plot, a plain-language reading and export buttons. Plots
 * inside it describe themselves (role="img", a name, a summary and their data as a table); the
 * reading is part of the svg's description.
 */
export function PlotFrame(props: {
  title: string
  name: string
  children: (ref: React.RefObject<SVGSVGElement | null>) => ReactNode
  reading?: ReactNode
  note?: ReactNode
  testId?: string
}) {
  const ref = useRef<SVGSVGElement | null>(null)
  const titleId = useId()
  const readingId = useId()
  return (
    <figure className="plot" data-testid={props.testId} aria-labelledby={titleId}>
      <figcaption>
        <span className="plot-title" id={titleId}>
          {props.title}
        </span>
        <span className="plot-actions">
          <button className="small secondary" onClick={() => ref.current && downloadSvg(ref.current, props.name)} aria-label={`Download “${props.title}” as SVG`} title="Download as SVG">
            SVG
          </button>
          <button className="small secondary" onClick={() => ref.current && void downloadPng(ref.current, props.name)} aria-label={`Download “${props.title}” as PNG`} title="Download as PNG">
            PNG
          </button>
        </span>
      </figcaption>
      <PlotContext.Provider value={{ name: props.name, title: props.title, readingId: props.reading ? readingId : undefined }}>{props.children(ref)}</PlotContext.Provider>
      {props.reading && (
        <p className="reading" id={readingId}>
          {props.reading}
        </p>
      )}
      {props.note && (
        <details className="method-note">
          <summary>What am I looking at?</summary>
          {props.note}
        </details>
      )}
    </figure>
  )
}
