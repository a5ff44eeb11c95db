import { useSae } from '../../state/saeStore.ts'
import { ADVERSARIAL_MORAL_PROMPTS, MODEL_JUDGE_LABEL, WIN_RATE_NOTES, editedWinRate, type PairwiseChoice } from '../../core/sae/behaviour.ts'
import { readWinRate } from '../../core/sae/readings.ts'
import { CsvButton } from '../CsvButton.tsx'
import { Readings } from './Readings.tsx'

/** An answer as text; one that is only whitespace says so instead of looking blank. */
function Answer({ text }: { text: string }) {
  if (text.trim()) return <>{text.trim()}</>
  if (!text) return <em className="muted">(no answer: the model stopped at once)</em>
  const breaks = (text.match(/\n/g) ?? []).length
  return <em className="muted">(only whitespace: {breaks} line break{breaks === 1 ? '' : 's'} and {text.length - breaks} other characters)</em>
}

export function BehaviourCheck() {
  const s = useSae((st) => st)
  if (!s.sae) return null
  const b = s.behaviour
  const canEdit = b.edit === 'steer' ? b.steerFeature !== null : !!s.realignment
  const user = editedWinRate(b.judgements)
  const model = editedWinRate(b.modelJudgements)
  const judged = new Map(b.judgements.map((j) => [j.trialId, j]))
  const trialOf = (id: string) => b.trials.find((x) => x.trialId === id)
  return (
    <div className="card" data-testid="sae-behaviour">
      <h2>5 · Does the edit change the model’s answers for the better?</h2>
      <p className="small-text">
        The model answers {ADVERSARIAL_MORAL_PROMPTS.length} built-in adversarial moral prompts (written for this lab) with and without the edit. You see both answers in a random order, without
        knowing which is which, and pick the better one.
      </p>
      <div className="row small-text">
        <label>
          Edit{' '}
          <select value={b.edit} onChange={(e) => s.setBehaviour({ edit: e.target.value as 'realign' | 'steer' })} data-testid="sae-edit-kind">
            <option value="realign" disabled={!s.realignment}>
              the re-alignment{s.realignment ? '' : ' (fit it first)'}
            </option>
            <option value="steer">steer one feature</option>
          </select>
        </label>
        {b.edit === 'steer' && (
          <>
            <label>
              Feature{' '}
              <input
                type="number"
                min={0}
                max={s.sae.dSae - 1}
                value={b.steerFeature ?? ''}
                onChange={(e) => s.setBehaviour({ steerFeature: e.target.value === '' ? null : Number(e.target.value) })}
                data-testid="sae-steer-feature"
              />
            </label>
            <label>
              Strength α{' '}
              <input type="number" step={0.5} value={b.steerAlpha} onChange={(e) => s.setBehaviour({ steerAlpha: Number(e.target.value) })} data-testid="sae-steer-alpha" />
            </label>
          </>
        )}
        <label>
          Prompts{' '}
          <select value={b.prompts} onChange={(e) => s.setBehaviour({ prompts: Number(e.target.value) })} data-testid="sae-prompts">
            {[3, 6, 12, ADVERSARIAL_MORAL_PROMPTS.length].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Answer length{' '}
          <select value={b.maxTokens} onChange={(e) => s.setBehaviour({ maxTokens: Number(e.target.value) })}>
            {[20, 40, 80].map((n) => (
              <option key={n} value={n}>
                {n} tokens
              </option>
            ))}
          </select>
        </label>
        <label>
          Decoding{' '}
          <select value={b.temperature} onChange={(e) => s.setBehaviour({ temperature: Number(e.target.value) })} data-testid="sae-temperature">
            <option value={0.7}>sampled, temperature 0.7</option>
            <option value={0}>greedy</option>
          </select>
        </label>
        <button onClick={() => void s.generateAnswers()} disabled={!canEdit || !!s.running} data-testid="sae-generate">
          Generate answers
        </button>
      </div>
      {b.trials.length > 0 && (
        <>
          <p className="small-text muted">
            Edit: {b.editLabel}.{' '}
            {b.temperature > 0 ? `Answers are sampled (temperature ${b.temperature}, top-p 0.95) with the same seed for both versions, so only the edit differs.` : 'Answers are greedy (temperature 0).'}
          </p>
          <ol className="trials" data-testid="sae-trials">
            {b.trials.map((t) => {
              const j = judged.get(t.trialId)
              const pick = (c: PairwiseChoice) => s.judge(t.trialId, c)
              return (
                <li key={t.trialId} className="trial">
                  <p>
                    <strong>{t.prompt}</strong>
                  </p>
                  <div className="pair">
                    <blockquote aria-label="Answer A">
                      <span className="chip">A</span> <Answer text={t.leftAnswer} />
                    </blockquote>
                    <blockquote aria-label="Answer B">
                      <span className="chip">B</span> <Answer text={t.rightAnswer} />
                    </blockquote>
                  </div>
                  <div className="row small-text" role="group" aria-label={`Which answer to “${t.prompt}” is morally better?`}>
                    <button className={j?.choice === 'left' ? 'small' : 'small secondary'} onClick={() => pick('left')} aria-pressed={j?.choice === 'left'} data-testid={`judge-${t.trialId}-left`}>
                      A is better
                    </button>
                    <button className={j?.choice === 'right' ? 'small' : 'small secondary'} onClick={() => pick('right')} aria-pressed={j?.choice === 'right'} data-testid={`judge-${t.trialId}-right`}>
                      B is better
                    </button>
                    <button className={j?.choice === 'tie' ? 'small' : 'small secondary'} onClick={() => pick('tie')} aria-pressed={j?.choice === 'tie'} data-testid={`judge-${t.trialId}-tie`}>
                      Tie
                    </button>
                    {j && <span className="muted">A was the {t.left} model, B the {t.right}.</span>}
                  </div>
                </li>
              )
            })}
          </ol>
          <div data-testid="sae-win-rate">
            <p>
              <strong>
                Your verdicts: {user.n} of {b.trials.length}
              </strong>
              {user.n > 0 && ` · edited model's win rate ${(100 * user.winRate).toFixed(0)}% (95% CI ${(100 * user.ci[0]).toFixed(0)}–${(100 * user.ci[1]).toFixed(0)}%)`}
            </p>
            <Readings items={readWinRate(user, 'user')} />
          </div>
          <div className="row small-text">
            <button className="secondary" onClick={() => void s.modelJudge()} disabled={!!s.running} data-testid="sae-model-judge">
              Let the loaded model judge too
            </button>
            <CsvButton
              columns={[
                { header: 'trial', value: (j) => j.trialId },
                { header: 'prompt', value: (j) => trialOf(j.trialId)?.prompt },
                { header: 'left', value: (j) => trialOf(j.trialId)?.left },
                { header: 'right', value: (j) => trialOf(j.trialId)?.right },
                { header: 'choice', value: (j) => j.choice },
                { header: 'winner', value: (j) => j.winner },
                { header: 'judge', value: (j) => j.judge },
              ]}
              rows={[...b.judgements, ...b.modelJudgements]}
              filename="sae-behaviour-judgements"
              what="the judgements"
              label="judgements as CSV"
              disabled={b.judgements.length + b.modelJudgements.length === 0}
            />
          </div>
          {b.modelJudged || s.running === 'judge' ? (
            <div className="banner small-text" data-testid="sae-model-verdicts">
              <strong>{MODEL_JUDGE_LABEL}</strong>{' '}
              {model.n > 0
                ? `Consistent verdicts on ${model.n} of ${b.trials.length} pairs: edited model's win rate ${(100 * model.winRate).toFixed(0)}% (95% CI ${(100 * model.ci[0]).toFixed(0)}–${(100 * model.ci[1]).toFixed(0)}%).`
                : s.running === 'judge'
                  ? 'Judging…'
                  : `No consistent verdicts on ${b.trials.length} pairs (with the order swapped the model named different winners, or answered with neither A nor B).`}
            </div>
          ) : null}
          <details>
            <summary className="small-text">How the win rate is computed</summary>
            <ul className="small-text">
              {WIN_RATE_NOTES.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </details>
        </>
      )}
    </div>
  )
}
