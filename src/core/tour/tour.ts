// The guided tour: the lab's three stories, step by step, each plot explained in plain language.
// Plain data, so the UI only renders it and tests can check every step points at something real.

export type TourStory = 'start' | 'indifference' | 'entanglement' | 'elicitation' | 'features' | 'end'

/** What "Do it for me" runs for a step, with the lab's defaults. */
export type TourAction = 'run-typicality' | 'run-entanglement' | 'run-elicitation' | 'run-features'

export interface TourStep {
  id: string
  story: TourStory
  panel: 'model' | 'stimuli' | 'typicality' | 'entanglement' | 'features' | 'elicitation'
  /** data-testid of the element the step is about (scrolled into view and outlined). */
  target: string
  title: string
  /** Plain-language explanation: what is on screen and how to read it. */
  body: string
  /** When the target only exists after a run. */
  action?: TourAction
}

export const STORY_TITLES: Record<TourStory, string> = {
  start: 'Getting started',
  indifference: 'Story 1 · Does the model care which way a moral act points?',
  entanglement: 'Story 2 · Is “good grammar” contaminated by “morally good”?',
  elicitation: 'Story 3 · Can the model label right and wrong without being told?',
  features: 'From story 1 to a fix · sparse features',
  end: 'Sharing what you found',
}

export const TOUR_STEPS: readonly TourStep[] = [
  {
    id: 'model',
    story: 'start',
    panel: 'model',
    target: 'loaded-model',
    title: 'A language model, running in this tab',
    body:
      'Everything happens on this computer: the model’s weights were downloaded once and run here, on the graphics card (WebGPU) or the processor (WASM). The lab can look inside it: after every layer it reads the “residual stream”, the list of numbers the model keeps for each word. The built-in model has random weights, so its numbers only show how the tools work; load a real model to study real behaviour.',
  },
  {
    id: 'stimuli',
    story: 'start',
    panel: 'stimuli',
    target: 'set-browser',
    title: 'The sentences we show it',
    body:
      'Each line is a short moral act, labelled with a moral foundation (care, fairness, loyalty, authority, sanctity), a direction (virtue, vice or neutral) and how typical it is of its category. “Slapping a child” is a very typical care violation; “forgetting a birthday” a mild one. These grades were written for the lab, not measured from people: the lab says so next to every result.',
  },
  {
    id: 'categorical',
    story: 'indifference',
    panel: 'typicality',
    target: 'plot-categorical',
    action: 'run-typicality',
    title: 'Does the model keep virtue and vice apart?',
    body:
      'For each foundation the lab averages the model’s numbers over the virtue acts and over the vice acts, and measures how alike the two averages are (a cosine: 1 = same direction, 0 = unrelated, −1 = opposite), layer by layer from left to right. A model that cares which way an act points keeps this low. The paper found it often above 0.5: virtue and vice look alike to the model.',
  },
  {
    id: 'gradient',
    story: 'indifference',
    panel: 'typicality',
    target: 'plot-gradient',
    action: 'run-typicality',
    title: 'Does it feel that some acts are more typical than others?',
    body:
      'Within one category, more typical acts should sit further along that category’s direction. The line is the rank correlation between how far each act sits and its typicality grade: 1 means the model orders acts exactly like the grades, 0 means no relation. The paper found peaks below 0.55, and vice graded a little better than virtue.',
  },
  {
    id: 'structural',
    story: 'indifference',
    panel: 'typicality',
    target: 'plot-structural',
    action: 'run-typicality',
    title: 'Do moral categories form clusters?',
    body:
      'Here the lab groups the acts by their numbers alone, without labels, and checks whether the groups match virtue/vice/neutral or the five foundations (1 = perfect match, 0 = chance). Low values mean the model’s inner picture does not sort acts the way people do.',
  },
  {
    id: 'map',
    story: 'indifference',
    panel: 'typicality',
    target: 'plot-map',
    action: 'run-typicality',
    title: 'A map of all the acts',
    body:
      'Each dot is one act, placed by the two directions along which the model’s numbers vary most at the chosen layer; colour and shape show its label. Drag a box around dots to list them. If virtue and vice dots mix, the model is “morally indifferent” at this layer.',
  },
  {
    id: 'coefficients',
    story: 'entanglement',
    panel: 'entanglement',
    target: 'plot-coefficients',
    action: 'run-entanglement',
    title: 'Does morality leak into other judgements?',
    body:
      'The model rates the same sentences three times: how moral, how grammatical, how expensive. The sentences were built so that grammar and price do not depend on the morality of the act. Each dot is how many rating points a bad act turning good adds; for grammar and price people would give zero (the dashed line). Dots right of it mean morally good sentences also look more grammatical or more valuable to the model.',
  },
  {
    id: 'heatmap',
    story: 'entanglement',
    panel: 'entanglement',
    target: 'plot-heatmap',
    action: 'run-entanglement',
    title: 'Do the three kinds of “good” point the same way inside?',
    body:
      'For each layer the lab finds a “good minus bad” direction for morals, for grammar and for price. Each cell compares two of those directions: near 1 (dark) means the model uses almost the same direction for both kinds of good, which is what entanglement looks like inside.',
  },
  {
    id: 'ablation',
    story: 'entanglement',
    panel: 'entanglement',
    target: 'entanglement-ablation',
    action: 'run-entanglement',
    title: 'Remove the moral direction',
    body:
      'Press “Ablate and re-run”: the lab subtracts the moral direction from the model’s numbers at every layer and asks for the ratings again. If the grammar and price dots move toward zero while a random direction changes little, the moral direction was what leaked.',
  },
  {
    id: 'icm-live',
    story: 'elicitation',
    panel: 'elicitation',
    target: 'icm-live',
    action: 'run-elicitation',
    title: 'Labels that come from the model’s own coherence',
    body:
      'Internal Coherence Maximization gives no correct answers to the model. It guesses true/false labels for moral claims and keeps changes that make the labels easier for the model to predict from each other and logically consistent (a claim and its negation cannot both be true). The curve is that “coherence score” rising as labels flip.',
  },
  {
    id: 'icm-result',
    story: 'elicitation',
    panel: 'elicitation',
    target: 'icm-baselines',
    action: 'run-elicitation',
    title: 'How good are the model’s own labels?',
    body:
      'On claims kept aside, the lab compares ICM’s labels with the gold labels, and with simply asking the model (zero-shot). The bars show accuracy with 95% intervals; 50% is coin-flipping. The paper found ICM can match asking a chat model, without any human labels.',
  },
  {
    id: 'sae',
    story: 'features',
    panel: 'features',
    target: 'sae-moral',
    action: 'run-features',
    title: 'Find the model’s moral features',
    body:
      'A sparse autoencoder splits one layer’s numbers into thousands of “features”, each firing on a few kinds of text. The lab lists features that follow one moral category (say, care violations) and not the others, lets you read the texts they fire on, and can re-align them so the model’s moral geometry matches people’s, then compare its answers with and without that edit.',
  },
  {
    id: 'share',
    story: 'end',
    panel: 'model',
    target: 'share-button',
    title: 'Share a result',
    body:
      '“Share link” puts the whole experiment (model, sentences, settings, view) in a web address: whoever opens it sees the same view and numbers. “Notebook” saves results and where they came from in one file that opens again without re-running. Links never carry API keys or files you imported.',
  },
]

export function tourStep(index: number): TourStep | undefined {
  return TOUR_STEPS[index]
}

/** The 1-based position of a step inside its story, and the story's length. */
export function storyProgress(index: number): { story: TourStory; position: number; length: number } {
  const step = TOUR_STEPS[index]
  if (!step) throw new Error(`tour step ${index} does not exist (0–${TOUR_STEPS.length - 1})`)
  const inStory = TOUR_STEPS.filter((s) => s.story === step.story)
  return { story: step.story, position: inStory.indexOf(step) + 1, length: inStory.length }
}

/** Where a tour opened on a panel starts: that panel's first step, or the beginning. */
export function firstStepOfPanel(panel: string): number {
  return Math.max(0, TOUR_STEPS.findIndex((s) => s.panel === panel))
}
