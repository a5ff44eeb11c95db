import { PANELS, type PanelId } from './registry.ts'

const PLANS: Partial<Record<PanelId, { what: string[]; paper?: string }>> = {
  stimuli: {
    what: [
      'Browse the built-in sets written for this lab: moral acts graded by typicality across the five moral foundations, a factorial value-entanglement set, and moral claims in consistency pairs.',
      'Import your own copies of Social-Chemistry-101, ETHICS, Norm Bank, Moral Foundations Vignettes or CoLA by drag-and-drop or URL.',
      'See and delete the activations the lab has stored in this browser, and export them for Python.',
    ],
  },
  typicality: {
    what: [
      'Run the moral typicality set through the model and measure, layer by layer, whether virtue and vice are separated, whether typicality is graded, whether the foundations cluster, and how well the 10-dimensional moral vector can be read out.',
      'Compare models side by side (for example a base model and its instruct version).',
    ],
    paper: 'Mechanistic Origin of Moral Indifference in Language Models (2026)',
  },
  entanglement: {
    what: [
      'Ask the model to rate moral goodness, grammaticality and economic worth of the same sentences and see whether the moral content leaks into the other ratings.',
      'Find the moral, grammatical and economic directions in the residual stream, compare them, and ablate the moral one to see whether the leak shrinks.',
    ],
    paper: 'Value Entanglement: Conflation Between Different Kinds of Good In (Some) Large Language Models (2026)',
  },
  features: {
    what: [
      'Train a sparse autoencoder on the residual stream in this tab, browse its features with their top-activating texts, and find the features that track moral foundations.',
      'Re-align the moral features to human moral geometry and compare the model’s answers before and after.',
    ],
    paper: 'Mechanistic Origin of Moral Indifference in Language Models (2026), SAE stage',
  },
  elicitation: {
    what: [
      'Watch Internal Coherence Maximization label moral claims from the model’s own sense of consistency, flip by flip, without human labels.',
      'Compare its labels with zero-shot prompting and with gold labels.',
    ],
    paper: 'Unsupervised Elicitation of Moral Values from Language Models (2026)',
  },
}

export function PlannedPanel({ id }: { id: PanelId }) {
  const meta = PANELS.find((p) => p.id === id)!
  const plan = PLANS[id]
  return (
    <section className="panel" aria-labelledby={`panel-${id}`} data-testid={`panel-${id}`}>
      <h1 id={`panel-${id}`}>{meta.title}</h1>
      <p className="question">{meta.question}</p>
      <div className="planned" role="note">
        <p>
          <strong>Not built yet.</strong> This panel is planned; nothing here runs today. When it is ready it will:
        </p>
        <ul>{plan?.what.map((w) => <li key={w}>{w}</li>)}</ul>
        {plan?.paper && <p className="muted">Based on: {plan.paper}.</p>}
      </div>
    </section>
  )
}
