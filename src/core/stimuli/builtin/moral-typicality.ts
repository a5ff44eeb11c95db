// Moral typicality stimuli, written for Moral Lens (no third-party rows). Five core foundations ×
// virtue/vice, each cell graded from prototypical (≈0.95) to marginal (≈0.2), plus neutral everyday acts.
// The grades are the project's authored judgements of prototypicality, not human norms: they exist so
// the gradient metrics (METHODS.md §1.4 C2) can run before a user imports real human-rated data.
import { MORAL_VECTOR_DIM, moralAxisIndex, type CoreFoundation, type StimulusItem, type StimulusSet } from '../types.ts'

/** [action phrase, authored typicality, one-line rationale] */
export type TypicalityRow = readonly [text: string, typicality: number, rationale: string]

export const TYPICALITY_NOTE = 'authored by the Moral Lens project (a prototypicality judgement, not a human norm)'

export const MORAL_TYPICALITY_ROWS: Record<CoreFoundation, Record<'virtue' | 'vice', readonly TypicalityRow[]>> = {
  care: {
    virtue: [
      ['rescuing a drowning child', 0.95, 'saving a defenceless life at risk to oneself: the prototype of care'],
      [
        'donating a kidney to a stranger on a transplant waiting list',
        0.92,
        "large personal sacrifice to end a stranger's suffering",
      ],
      [
        'comforting a toddler who lost his parents in a crowded station',
        0.9,
        'soothing a frightened, vulnerable child',
      ],
      ['nursing a friend through a long and frightening illness', 0.87, 'sustained hands-on relief of suffering'],
      ['carrying an injured dog out of the traffic', 0.85, 'protecting a hurt animal from further harm'],
      [
        'sitting with a dying neighbour so she is not alone',
        0.82,
        'compassion at the end of life, no gain to the helper',
      ],
      ['giving your coat to a man shivering on the street', 0.8, "direct relief of a stranger's physical distress"],
      ['calling an ambulance for a jogger who collapsed', 0.76, 'clear help in an emergency, but at little cost'],
      ['volunteering on weekends at a hospice', 0.72, 'ongoing care work, less immediate than a rescue'],
      ['checking on an elderly neighbour during a heatwave', 0.68, 'preventive concern for someone at risk'],
      [
        'cooking meals for a friend recovering from surgery',
        0.62,
        'practical kindness to someone temporarily weakened',
      ],
      ['listening patiently while a coworker talks through her worries', 0.55, 'emotional support, mild need'],
      ['leaving a bowl of water out for birds in a drought', 0.48, 'care for animals, diffuse and low-stakes'],
      ['sending a get-well card to a colleague', 0.42, 'a gesture of concern with no real relief of harm'],
      ['holding the door for someone carrying heavy boxes', 0.36, 'helpful courtesy more than care for suffering'],
      ['reminding a friend to put on sunscreen', 0.3, 'concern for a small, distant harm'],
      ["watering a neighbour's houseplants while they travel", 0.24, 'a favour; nobody is suffering'],
      ['saying "bless you" when someone sneezes', 0.18, 'ritual politeness that only gestures at well-being'],
    ],
    vice: [
      ['torturing a kitten for fun', 0.96, 'deliberate cruelty to a helpless animal: the prototype of harm'],
      ['beating a small child with a belt until she bleeds', 0.94, 'severe violence against the most vulnerable'],
      ['kicking a stray dog for fun', 0.9, 'gratuitous cruelty to an animal'],
      ['bullying a disabled classmate until he cries', 0.88, 'targeting a vulnerable person to cause distress'],
      ['leaving a toddler alone in a hot car', 0.86, 'endangering a child through callous neglect'],
      ["poisoning the neighbour's dog because it barks", 0.84, 'killing an animal over a small annoyance'],
      ["mocking a grieving widow at her husband's funeral", 0.78, "deliberately deepening someone's pain"],
      ['driving off after knocking a cyclist to the ground', 0.76, 'abandoning an injured person; harm plus neglect'],
      ['slapping a waiter who spilled a drink', 0.7, 'physical aggression, but a moment of temper'],
      ['spreading cruel rumours about a lonely teenager', 0.66, 'psychological harm to someone isolated'],
      ["ignoring an elderly parent's calls for months", 0.58, 'emotional neglect, harm is indirect'],
      ['heckling a nervous speaker until she loses her place', 0.54, 'causing distress for amusement, brief'],
      ['teasing a friend about her weight', 0.48, 'hurtful, often framed as a joke'],
      ['laughing when a stranger trips on the stairs', 0.44, 'unkind, but the harm is already done'],
      ['honking and tailgating a slow elderly driver', 0.4, 'intimidation, mostly rudeness'],
      ['stepping on snails on purpose', 0.33, 'harm to creatures people rarely grieve'],
      ['forgetting to feed the goldfish for a few days', 0.27, 'negligence rather than cruelty'],
      [
        'swatting a fly that landed on your sandwich',
        0.16,
        'killing an insect, which most people do not count as cruelty',
      ],
    ],
  },
  fairness: {
    virtue: [
      [
        'splitting a prize equally with teammates who did equal work',
        0.95,
        'proportional sharing of a reward: the prototype of fairness',
      ],
      ['refusing a bribe to change the verdict in a court case', 0.93, 'impartial justice under temptation'],
      ['giving a colleague credit for the idea she came up with', 0.88, 'honest attribution of deserved recognition'],
      ["marking every student's exam with the same rubric", 0.85, 'equal treatment under one standard'],
      ['returning the extra change a cashier handed you by mistake', 0.8, 'declining an unearned gain'],
      ['paying back a loan in full and on time', 0.78, "keeping one's side of an exchange"],
      ['paying a cleaner the full wage you promised', 0.75, 'honouring a fair bargain with someone less powerful'],
      ['waiting your turn in a long queue at the post office', 0.7, 'respecting first come, first served'],
      ['owning up to a foul the referee did not see', 0.68, 'refusing an unfair advantage in a game'],
      ['reporting a teammate who cheated in a tournament', 0.64, 'fairness, though it strains loyalty'],
      ['letting each child pick a biscuit in turn', 0.58, 'small-scale equal distribution'],
      ['paying your share of a taxi fare', 0.54, 'reciprocity in a minor shared cost'],
      ['flipping a coin to decide who gets the window seat', 0.5, 'impartial procedure for a trivial good'],
      ['rotating who does the washing-up each night', 0.45, 'equal sharing of chores; low stakes'],
      ['signing a petition for equal pay', 0.4, 'supports fairness but costs the signer little'],
      ['splitting the last slice of pizza in half', 0.34, 'equal division of something trivial'],
      ['returning a library book on its due date', 0.28, 'rule-keeping that only loosely concerns fair shares'],
      ['taking turns choosing the music on a road trip', 0.2, 'turn-taking among friends, barely a moral matter'],
    ],
    vice: [
      [
        'stuffing ballot boxes to rig an election',
        0.95,
        'corrupting a fair procedure for everyone: the prototype of cheating',
      ],
      ['embezzling the pension fund of factory workers', 0.93, 'stealing what others earned and were owed'],
      ['paying women less than men for the same job', 0.9, 'unequal reward for equal work'],
      ['cheating on a final exam', 0.86, 'gaining an unearned advantage over honest peers'],
      ["taking credit for an intern's research", 0.83, 'stealing recognition from someone less powerful'],
      ['selling a car while hiding that its brakes are faulty', 0.78, 'deceiving a buyer in an exchange'],
      ['hiring a friend over a much better qualified applicant', 0.72, 'favouritism instead of merit'],
      ['cutting in front of people in a long queue', 0.68, 'taking a turn one has not earned'],
      ['shoplifting a bottle of shampoo', 0.64, 'taking without paying; small amount'],
      ['padding an expense report with a fake taxi ride', 0.6, 'petty fraud against an employer'],
      ["peeking at other players' cards during a friendly game", 0.55, 'cheating where the stakes are low'],
      ['keeping the extra change a cashier gave you by mistake', 0.5, 'accepting an unearned gain passively'],
      ["lying about your age to get a child's ticket", 0.46, 'a minor swindle of a business'],
      ["eating a roommate's leftovers without asking", 0.42, "taking another's share, small and domestic"],
      ['skipping your turn to clean the shared kitchen', 0.38, 'free-riding on a chore rota'],
      ['saving a seat on a crowded train with your bag', 0.32, "claiming more than one's share of a common good"],
      ['taking the biggest piece of cake before anyone else chooses', 0.26, 'mild greed in a trivial division'],
      [
        'signing up for a free trial again with a new email address',
        0.18,
        'gaming a promotion; many see no wrong in it',
      ],
    ],
  },
  loyalty: {
    virtue: [
      [
        'refusing to betray your comrades under interrogation',
        0.95,
        "keeping faith with one's group at great personal cost",
      ],
      ['staying to fight beside your unit when retreat was possible', 0.9, 'self-sacrifice for the in-group'],
      ["guarding a friend's secret even when others press you to tell", 0.86, 'faithfulness to a trust'],
      ['defending a teammate when rivals insult him', 0.83, "standing up for one's own"],
      ['speaking up for your brother when he is falsely accused', 0.8, 'family loyalty, with a fairness element'],
      [
        'keeping the family shop open through a bad year to protect its name',
        0.74,
        'commitment to a family enterprise',
      ],
      ['visiting an old friend in prison every month', 0.72, 'loyalty that persists through disgrace'],
      [
        "turning down a rival firm's higher offer out of loyalty to your employer",
        0.68,
        "forgoing gain to stay with one's group",
      ],
      ['attending every reunion of your old regiment', 0.62, 'maintaining group bonds over decades'],
      ['moving back home to help the family through hard times', 0.58, 'loyal to kin, overlapping with care'],
      ['wearing the team shirt proudly after a losing season', 0.54, 'fan loyalty when it is not rewarded'],
      ['cheering for the home side in pouring rain', 0.5, 'group identity, little sacrifice'],
      [
        "learning your grandparents' language to keep the family heritage",
        0.46,
        "loyalty to a tradition of one's people",
      ],
      ['standing for the national anthem before a match', 0.42, 'a ritual of group belonging'],
      ['staying in touch with friends from primary school', 0.36, 'faithful friendship, barely tested'],
      ['buying bread from the local bakery rather than the chain store', 0.3, 'mild local allegiance'],
      ['going to the same barber for twenty years', 0.24, 'habit that looks like loyalty'],
      ["drinking from your old school's mug every morning", 0.18, 'a token of attachment, not a moral act'],
    ],
    vice: [
      ["selling your country's military secrets to an enemy", 0.95, 'treason: the prototype of betrayal'],
      [
        'handing your best friend over to the secret police to save yourself',
        0.93,
        'betraying an intimate bond for self-interest',
      ],
      ['deserting your unit in the middle of a battle', 0.9, "abandoning one's group when it needs you most"],
      ["leaking your team's game plan to the rival coach", 0.85, "helping the opposing side against one's own"],
      ["having an affair with your spouse's best friend", 0.8, 'betrayal of two close bonds at once'],
      ['pretending not to know an old friend when he is in trouble', 0.77, "disowning one's own under pressure"],
      ['testifying falsely against your own brother for a reward', 0.74, 'selling out family, with dishonesty'],
      ['switching sides the moment your party starts losing', 0.7, 'fair-weather allegiance'],
      ['quitting the band the night before their biggest show', 0.65, 'abandoning the group at a critical moment'],
      ["skipping your sister's wedding to go to a party", 0.6, 'putting fun ahead of family obligation'],
      ['moving abroad and never calling home again', 0.55, 'letting family ties lapse'],
      ['mocking your hometown to impress new colleagues', 0.5, "disparaging one's own group for status"],
      ["cheering for the opposing team at your son's match", 0.45, 'a small public disloyalty'],
      ["forgetting your best friend's birthday", 0.35, 'neglect of a bond, not betrayal'],
      ['unfollowing your cousin online after an argument', 0.3, 'a petty distancing from kin'],
      ['calling your childhood football club boring', 0.25, 'a mild slight against an old affiliation'],
      ['leaving a group chat without saying goodbye', 0.22, 'withdrawing from a loose group, hardly disloyal'],
      ['switching to a rival supermarket for cheaper eggs', 0.17, 'brand switching; loyalty barely applies'],
    ],
  },
  authority: {
    virtue: [
      [
        "carrying out the captain's orders during a storm at sea",
        0.93,
        'obedience to legitimate command when it matters most',
      ],
      ['obeying a lawful order from your commanding officer', 0.92, 'the prototype of deference to rank'],
      ['saluting a senior officer on the parade ground', 0.87, 'formal respect for hierarchy'],
      ['rising when the judge enters the courtroom', 0.84, 'ritual respect for an institution'],
      ["following your parents' house rules without complaint", 0.8, 'filial obedience'],
      ['speaking respectfully to your grandparents', 0.76, 'deference to elders'],
      ['complying calmly with a police officer at a checkpoint', 0.73, 'respect for lawful authority'],
      ["accepting the referee's decision without arguing", 0.7, 'deference to an appointed arbiter'],
      [
        'upholding a tradition your ancestors passed down',
        0.64,
        'respect for inherited order, overlapping with sanctity',
      ],
      ['maintaining order in the classroom as a substitute teacher', 0.6, "upholding authority on others' behalf"],
      ['raising your hand before speaking in class', 0.54, 'following a classroom protocol'],
      ['wearing the school uniform exactly as required', 0.5, "conformity to an institution's rules"],
      ["asking your manager's permission before changing a procedure", 0.45, 'respecting a chain of command'],
      ['stopping at a red light on an empty street at night', 0.4, 'obeying a rule no one enforces'],
      ['using the formal title when writing to a professor', 0.34, 'etiquette of status, low stakes'],
      ['filling in the required paperwork on time', 0.3, 'bureaucratic compliance'],
      ['parking only inside the marked bays', 0.24, 'following a minor regulation'],
      ['keeping off the grass because a sign says so', 0.19, 'obeying a trivial posted rule'],
    ],
    vice: [
      [
        "leading a mutiny against the ship's captain",
        0.95,
        'overthrowing legitimate command: the prototype of subversion',
      ],
      ["spitting in a judge's face during a trial", 0.92, 'contempt for an institution and its officer'],
      ['disobeying a direct order on the battlefield', 0.9, 'defying rank when obedience is vital'],
      ['screaming insults at your parents', 0.84, 'open disrespect for parental authority'],
      ['openly defying a court summons', 0.8, 'refusing the authority of the law'],
      ['ridiculing the head teacher in front of the whole school', 0.76, 'public humiliation of a superior'],
      ['talking back to a teacher in front of the class', 0.72, 'challenging authority in its own domain'],
      ['spray-painting insults on the town hall', 0.68, 'defacing a symbol of civic authority'],
      ["forging your boss's signature on a memo", 0.64, "usurping a superior's authority, with deceit"],
      ["ignoring the coach's instructions during a match", 0.6, 'insubordination in a team hierarchy'],
      ["sneaking out after your parents' curfew", 0.55, 'defying household rules'],
      ['interrupting the chairperson again and again', 0.5, 'disrespecting the person in charge of a meeting'],
      ['calling your boss a rude nickname behind her back', 0.45, 'private disrespect for a superior'],
      ["putting your feet up on the desk in the headmaster's office", 0.41, 'casual disregard of status'],
      ['crossing against the light in front of a traffic officer', 0.37, "a minor rule broken under authority's eyes"],
      ['wearing jeans to a ceremony with a formal dress code', 0.32, "ignoring an institution's norms"],
      ['skipping a compulsory staff meeting', 0.28, 'small noncompliance at work'],
      ['cycling past a "no cycling" sign in the park', 0.19, 'breaking a trivial posted rule'],
    ],
  },
  sanctity: {
    virtue: [
      [
        'burying the dead with dignity and the proper rites',
        0.95,
        'honouring the sacredness of the body: the prototype of sanctity',
      ],
      ["washing a relative's body before burial as the ritual requires", 0.9, 'purification performed with reverence'],
      ['fasting through a holy month', 0.88, 'bodily discipline for a sacred purpose'],
      ['removing your shoes before entering a temple', 0.84, 'marking a space as pure and set apart'],
      ["scattering a loved one's ashes in a quiet ceremony", 0.8, 'treating remains as sacred'],
      ['tending the graves of strangers in a war cemetery', 0.75, 'reverence for the dead, with loyalty and care'],
      ['never letting a holy book touch the floor', 0.72, 'treating a sacred object with respect'],
      ['saying grace before a family meal', 0.66, 'consecrating an everyday act'],
      ['lighting a candle for the dead on their anniversary', 0.62, 'a small ritual of remembrance'],
      ['dressing modestly to visit a shrine', 0.58, "respecting a sacred place's norms"],
      ['scrubbing graffiti off the walls of an old chapel', 0.55, 'restoring a sacred place, with civic overtones'],
      ['sitting in silent meditation on a mountain at dawn', 0.48, 'spiritual elevation, no rule involved'],
      ['refusing to swear even when angry', 0.44, 'purity of speech, mild'],
      ['choosing to eat only plain, unprocessed food', 0.38, 'bodily purity, mostly a lifestyle choice'],
      ['refusing tattoos because your faith forbids marking the body', 0.34, 'bodily sanctity by a specific tradition'],
      ['washing your hands before kneading bread', 0.26, 'hygiene, only faintly about purity'],
      ['airing out the bedroom every morning', 0.2, 'cleanliness with little moral content'],
      ['tidying your desk every evening', 0.17, 'orderliness, not sanctity'],
    ],
    vice: [
      [
        'digging up a grave and scattering the bones for fun',
        0.95,
        'desecrating the dead: the prototype of degradation',
      ],
      ['urinating on a church altar', 0.93, 'polluting a sacred object'],
      ['eating flesh cut from a human corpse', 0.9, 'violating the body taboo'],
      ['burning a holy book to get a laugh', 0.87, 'destroying a sacred object in contempt'],
      ["tipping a friend's ashes into a skip", 0.82, 'treating human remains as rubbish'],
      ['spitting into food that other people will eat', 0.78, 'contaminating food, with a harm element'],
      ['selling a sacred relic for scrap metal', 0.74, 'turning the sacred into mere money'],
      ['licking a public toilet seat on a dare', 0.7, 'deliberate self-degradation'],
      ['getting blind drunk at a memorial service', 0.66, 'debasing a solemn occasion'],
      ['walking through a mosque in muddy boots', 0.62, 'soiling a pure space'],
      ['telling dirty jokes beside an open grave', 0.58, 'irreverence toward the dead'],
      ['taking a grinning selfie next to an open coffin', 0.53, 'trivialising death'],
      ['picking your nose and wiping it under the table', 0.46, 'disgusting habit, minor'],
      ['never changing your bed sheets', 0.38, 'uncleanliness, mostly a private matter'],
      ['eating scraps out of a bin behind a restaurant', 0.32, 'disgust without clear wrongdoing'],
      ['leaving dirty dishes to rot for weeks', 0.26, 'squalor rather than sacrilege'],
      ['chewing loudly with your mouth open', 0.2, 'bad manners that evoke faint disgust'],
      ['wearing the same socks three days in a row', 0.16, 'slightly unhygienic, hardly moral'],
    ],
  },
}

/** Everyday acts with no moral content; no foundation, no typicality, moral vector of zeros. */
export const NEUTRAL_ACTS: readonly (readonly [text: string, rationale: string])[] = [
  ['folding laundry', 'routine chore; nobody is helped or harmed'],
  ['watering the tomato plants', 'gardening with no one else involved'],
  ['taking the bus to work', 'ordinary commuting'],
  ['buying a loaf of bread', 'a routine purchase'],
  ['reading the morning newspaper', 'private leisure'],
  ['tying your shoelaces', 'a trivial personal action'],
  ['brushing your teeth before bed', 'personal routine'],
  ['checking the weather forecast', 'gathering everyday information'],
  ['sorting the post on the kitchen table', 'household admin'],
  ['peeling potatoes for soup', 'cooking for oneself'],
  ['charging your phone overnight', 'device upkeep'],
  ['walking to the post office', 'an errand'],
  ['ironing a shirt for tomorrow', 'household routine'],
  ["setting an alarm for seven o'clock", 'personal scheduling'],
  ['renewing a parking permit online', 'routine paperwork'],
  ['replacing a flat bicycle tyre', 'simple repair'],
  ['choosing a paint colour for the hallway', 'a matter of taste'],
  ['hanging a picture in the living room', 'home decoration'],
  ['writing a shopping list', 'planning an errand'],
  ['making a cup of tea', 'everyday habit'],
  ['stretching before a jog', 'exercise routine'],
  ['filling the car with petrol', 'routine errand'],
  ['arranging books on a shelf by height', 'a matter of preference'],
  ['humming while stirring a pot of rice', 'idle habit'],
  ['looking up a recipe for pancakes', 'finding information'],
  ['changing a light bulb in the hallway', 'household maintenance'],
  ['defrosting the freezer', 'appliance upkeep'],
  ['practising scales on the piano', 'skill practice'],
  ['sharpening a pencil', 'trivial preparation'],
  ['feeding coins into a parking meter', 'paying for a routine service'],
  ['trying on a pair of jeans in a shop', 'shopping'],
  ['measuring flour for a cake', 'baking'],
  ['rearranging the sofa cushions', 'a matter of taste'],
  ['opening a window to let in some air', 'everyday comfort'],
  ['taking a photo of the sunset', 'private leisure'],
  ['ordering a coffee with oat milk', 'a consumer preference'],
  ['studying a map at the train station', 'finding the way'],
  ['waiting for the kettle to boil', 'idle moment'],
  ['labelling boxes before a house move', 'organising belongings'],
  ['installing a software update on a laptop', 'device upkeep'],
  ['downloading a podcast for the commute', 'leisure planning'],
  ['planting tulip bulbs in the autumn', 'gardening'],
  ['folding a paper aeroplane', 'idle play'],
  ['booking a dentist appointment', 'routine scheduling'],
  ['listening to the radio while driving', 'everyday leisure'],
  ['winding an old mantel clock', 'household routine'],
  ['assembling a flat-pack bookcase', 'DIY task'],
  ['choosing a new ringtone', 'a matter of taste'],
]

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** Builds the items: vector = typicality on the item's own axis, 0 elsewhere (METHODS.md §1.4 A). */
export function buildMoralTypicalityItems(): StimulusItem[] {
  const items: StimulusItem[] = []
  for (const [foundation, cells] of Object.entries(MORAL_TYPICALITY_ROWS) as [
    CoreFoundation,
    (typeof MORAL_TYPICALITY_ROWS)[CoreFoundation],
  ][]) {
    for (const polarity of ['virtue', 'vice'] as const) {
      cells[polarity].forEach(([text, typicality, rationale], i) => {
        const moralVector = new Array<number>(MORAL_VECTOR_DIM).fill(0)
        moralVector[moralAxisIndex(foundation, polarity)] = typicality
        items.push({
          id: `mt-${foundation}-${polarity}-${pad2(i + 1)}`,
          text,
          foundation,
          foundations: [foundation],
          polarity,
          typicality,
          typicalitySource: 'authored',
          typicalityNote: TYPICALITY_NOTE,
          rationale,
          moralVector,
        })
      })
    }
  }
  NEUTRAL_ACTS.forEach(([text, rationale], i) => {
    items.push({
      id: `mt-neutral-${pad2(i + 1)}`,
      text,
      polarity: 'neutral',
      rationale,
      moralVector: new Array<number>(MORAL_VECTOR_DIM).fill(0),
    })
  })
  return items
}

export const MORAL_TYPICALITY_SET: StimulusSet = {
  id: 'builtin:moral-typicality',
  name: 'Moral typicality (authored)',
  source:
    'Written for Moral Lens by the project. Texts, foundation labels and typicality grades are authored by the ' +
    'Moral Lens project; they are not human norms and come from no third-party dataset.',
  licence:
    'Part of the Moral Lens source code and shared under its licence. Grades are authored by the Moral Lens ' +
    'project, not collected from human raters; cite them as such.',
  description:
    'Short action phrases for the five core foundations × virtue/vice, graded from prototypical (≈0.95) to ' +
    'marginal (≈0.2), plus neutral everyday acts (no foundation, moral vector of zeros). The moral vector puts ' +
    "the item's typicality on its own foundation×polarity axis. For human-graded typicality, import " +
    'Social-Chemistry-101 or Moral Foundations Vignettes.',
  kind: 'typicality',
  prompts: {
    action: 'Action: {text}.',
  },
  items: buildMoralTypicalityItems(),
}
