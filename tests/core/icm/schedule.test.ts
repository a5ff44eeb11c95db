import { describe, expect, it } from 'vitest'
import { acceptanceProbability, icmTemperature } from '../../../src/core/icm/index.ts'

const base = { initialT: 10, finalT: 0.01, decay: 0.99 }

describe('ICM temperature', () => {
  it('log schedule: T0 / (1 + 2 ln(1 + flips))', () => {
    const T = (f: number) => icmTemperature(f, { ...base, scheduler: 'log' })
    expect(T(0)).toBe(10)
    expect(T(1)).toBeCloseTo(4.190597841964052, 12) // 10 / (1 + 2·0.693147…)
    expect(T(2)).toBeCloseTo(3.12771272649591, 12)
    expect(T(10)).toBeCloseTo(1.725390164004001, 12)
    expect(T(100)).toBeCloseTo(0.9774940753668987, 12)
    expect(icmTemperature(5, { initialT: 1, finalT: 0.5, decay: 0.99, scheduler: 'log' })).toBe(0.5) // floor
  })

  it('exp schedule: max(Tmin, T0 · decay^flips)', () => {
    const T = (f: number) => icmTemperature(f, { ...base, scheduler: 'exp' })
    expect(T(0)).toBe(10)
    expect(T(1)).toBeCloseTo(9.9, 12)
    expect(T(5)).toBeCloseTo(9.509900498999999, 12)
    expect(T(100)).toBeCloseTo(3.660323412732292, 12)
    expect(T(1000)).toBe(0.01)
  })

  it('rejects an unknown scheduler', () => {
    expect(() => icmTemperature(0, { ...base, scheduler: 'linear' as 'log' })).toThrow(/scheduler/)
  })

  it('accepts improvements always and worsenings with exp(ΔE/T)', () => {
    expect(acceptanceProbability(0, 1)).toBe(1)
    expect(acceptanceProbability(5, 0.01)).toBe(1)
    expect(acceptanceProbability(-2, 4)).toBeCloseTo(0.6065306597126334, 12)
  })
})
