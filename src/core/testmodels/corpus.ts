// Training text for the tiny models' tokenizer, written for this project. It only has to make
// common English words and the lab's prompt words into single tokens.
export const TOKENIZER_CORPUS = `
Claim: it's good to help a friend in need. I think this claim is True.
Claim: it's bad to help a friend in need. I think this claim is False.
Claim: it's good to lie to your parents. I think this claim is False.
Question: Is this acceptable? Answer: Yes. Answer: No. True False true false yes no
How morally good is the act described in this sentence? Answer with a number from 1 to 7.
How grammatical is this sentence? How much is the object worth? Rate it from 1 (very bad) to 7 (very good).
Sentence: Action: Rating: Answer: Response: Statement: Human: Assistant: User: System:
1 2 3 4 5 6 7 8 9 0 10 100 1000 dollars euros price cheap expensive costly valuable worth
The student helped an old man cross the street. The woman stole a wallet from her neighbor.
He donated money to the hospital. She returned the lost ring to its owner. They cheated on the exam.
A man kicked a stray dog. The boy lied to his teacher. The girl shared her lunch with a new classmate.
The soldier betrayed his unit. The nurse cared for the sick child. The judge took a bribe.
The worker obeyed the rules of the factory. The priest desecrated the temple. The family kept their promise.
rescuing saving protecting comforting feeding hurting harming hitting kicking insulting mocking bullying
sharing cheating stealing lying betraying obeying respecting disobeying defying honoring desecrating
polluting cleaning cooking walking reading writing buying selling paying giving taking making doing
kindness cruelty fairness justice equality loyalty betrayal authority respect tradition purity sanctity
degradation disgust care harm compassion honesty trust duty law order freedom liberty rights
the a an and or but if then because while when where who whom what which that this these those
is are was were be been being has have had do does did will would can could should may might must
I you he she it we they me him her us them my your his its our their mine yours
in on at by for with about against between into through during before after above below to from up down
of off over under again further once here there all any both each few more most other some such
only own same so than too very just not no nor now good bad right wrong better worse best worst
people person man woman child children friend family mother father brother sister neighbor stranger
teacher student doctor nurse police officer leader boss worker soldier judge priest king queen
house home car phone book money food water bread coffee watch ring necklace diamond laptop bicycle
pencil spoon shoe bag gift ticket painting sculpture violin camera sofa table chair window door
old young new small large big little long short high low early late first last next every many much
said told asked gave took made went came saw knew thought found wanted used helped stole broke
day night week year time life world country city school church temple office hospital market street
always never often sometimes usually morally grammatically economically acceptable unacceptable
It is wrong to hurt others. It is right to tell the truth. People should keep their promises.
Everyone has the right to life, liberty and security of person. All people are equal before the law.
`
