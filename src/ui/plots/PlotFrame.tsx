import { useRef, type ReactNode } from 'react'
import { downloadPng, downloadSvg } from './export.ts'

/** A figure with a question as title, the plot, a plain-language reading and export buttons. */
export function PlotFrame(props: {
  title: string
  name: string
  children: (ref: React.RefObject<SVGSVGElement | null>) => ReactNode
  reading?: ReactNode
  note?: ReactNode
  testId?: string
}) {
  const ref = useRef<SVGSVGElement | null>(null)
  return (
    <figure className="plot" data-testid={props.testId}>
      <figcaption>
        <span className="plot-title">{props.title}</span>
        <span className="plot-actions">
          <button className="small secondary" onClick={() => ref.current && downloadSvg(ref.current, props.name)}>
            SVG
          </button>
          <button className="small secondary" onClick={() => ref.current && downloadPng(ref.current, props.name)}>
            PNG
          </button>
        </span>
      </figcaption>
      {props.children(ref)}
      {props.reading && <p className="reading">{props.reading}</p>}
      {props.note && <details className="method-note"><summary>What am I looking at?</summary>{props.note}</details>}
    </figure>
  )
}
