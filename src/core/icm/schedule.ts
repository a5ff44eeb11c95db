// Simulated-annealing temperature, after the code's `get_temperature` (src/experiments/ICM.py). The code
// passes the number of accepted flips, not the iteration, for both schedules; the log constant is 2 (the
// paper's β = 0.99 is only the exp schedule's decay).

export type IcmScheduler = 'log' | 'exp'

export interface TemperatureOptions {
  initialT: number
  finalT: number
  decay: number
  scheduler: IcmScheduler
}

export function icmTemperature(acceptedFlips: number, o: TemperatureOptions): number {
  if (o.scheduler === 'exp') return Math.max(o.finalT, o.initialT * Math.pow(o.decay, acceptedFlips))
  if (o.scheduler === 'log') return Math.max(o.finalT, o.initialT / (1 + 2 * Math.log(1 + acceptedFlips)))
  throw new Error(`icmTemperature: scheduler must be 'log' or 'exp', got ${String(o.scheduler)}`)
}

/** Metropolis acceptance probability exp(ΔE/T), capped at 1 (the code draws `random() < exp(ΔE/T)`). */
export function acceptanceProbability(deltaEnergy: number, temperature: number): number {
  if (deltaEnergy >= 0) return 1
  return Math.exp(deltaEnergy / temperature)
}
