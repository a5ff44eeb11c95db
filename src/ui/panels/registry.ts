// The panels of the lab, in the order of its stories.
export type PanelId = 'model' | 'stimuli' | 'typicality' | 'entanglement' | 'features' | 'elicitation'

export interface PanelMeta {
  id: PanelId
  title: string
  question: string
}

export const PANELS: PanelMeta[] = [
  { id: 'model', title: 'Model', question: 'Which model, on which backend?' },
  { id: 'stimuli', title: 'Stimuli', question: 'Which texts and labels?' },
  { id: 'typicality', title: 'Moral typicality', question: 'Does the model care which way a moral act points?' },
  { id: 'entanglement', title: 'Value entanglement', question: 'Is "good grammar" contaminated by "morally good"?' },
  { id: 'features', title: 'Features (SAE)', question: 'Which sparse features carry morality?' },
  { id: 'elicitation', title: 'Elicitation (ICM)', question: 'Can the model label right and wrong without being told?' },
]
