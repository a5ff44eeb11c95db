/** Plain-language readings under a plot; cautions stand out. */
export function Readings({ items }: { items: { text: string; tone: 'finding' | 'caution' }[] }) {
  return (
    <>
      {items.map((r) => (
        <p key={r.text} className={r.tone === 'caution' ? 'banner warn small-text' : 'reading'}>
          {r.text}
        </p>
      ))}
    </>
  )
}

/** The panel's method notes, deviations from the paper marked. */
export function MethodNotesCard({ notes, testId }: { notes: { id: string; deviation: boolean; text: string }[]; testId: string }) {
  return (
    <details className="card method-note">
      <summary>Method notes: how this reproduction works, and where it departs from the paper</summary>
      <ul className="small-text" data-testid={testId}>
        {notes.map((n) => (
          <li key={n.id}>
            {n.deviation ? <strong>Deviation: </strong> : null}
            {n.text}
          </li>
        ))}
      </ul>
    </details>
  )
}
