import { describe, expect, it } from 'vitest'
import { MACHADO, contrastRatio, deltaE2000, deltaE76, linearToSrgb, minPairwiseDifference, parseColour, parseHex, simulate, srgbToLab, srgbToLinear, toHex } from '../../../src/core/colour/cvd.ts'

describe('colour conversions', () => {
  it('parses hex and CSS rgb() colours', () => {
    expect(parseHex('#ff8000')).toEqual([1, 128 / 255, 0])
    expect(parseHex('f80')).toEqual([1, 136 / 255, 0])
    expect(parseColour('rgb(255, 128, 0)')).toEqual([1, 128 / 255, 0])
    expect(toHex([1, 128 / 255, 0])).toBe('#ff8000')
    expect(() => parseHex('#12345')).toThrow()
  })

  it('linearises sRGB on both branches of the transfer curve and inverts it', () => {
    // Below the knee: c / 12.92. Above it, by hand: ((0.5 + 0.055) / 1.055)^2.4 = 0.21404.
    expect(srgbToLinear(0.04)).toBeCloseTo(0.04 / 12.92, 10)
    expect(srgbToLinear(0.5)).toBeCloseTo(0.21404, 5)
    for (const c of [0, 0.002, 0.04, 0.3, 0.5, 0.99, 1]) expect(linearToSrgb(srgbToLinear(c))).toBeCloseTo(c, 10)
  })

  it('converts to CIELAB (D65) as the published values', () => {
    // Reference values: white (100, 0, 0), sRGB red (53.24, 80.09, 67.20), mid grey #808080 L* = 53.59.
    const white = srgbToLab([1, 1, 1])
    expect(white[0]).toBeCloseTo(100, 3)
    expect(Math.abs(white[1]) + Math.abs(white[2])).toBeLessThan(1e-3)
    const red = srgbToLab(parseHex('#ff0000'))
    expect(red[0]).toBeCloseTo(53.24, 2)
    expect(red[1]).toBeCloseTo(80.09, 2)
    expect(red[2]).toBeCloseTo(67.2, 2)
    expect(srgbToLab(parseHex('#808080'))[0]).toBeCloseTo(53.59, 2)
  })

  it('computes CIE76 and CIEDE2000 as the Sharma, Wu & Dalal test data', () => {
    expect(deltaE76([50, 0, 0], [53, 4, 0])).toBe(5)
    // Pairs 1, 7 and 34 of Sharma et al. (2005), Table 1.
    expect(deltaE2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 4)
    expect(deltaE2000([50, 0, 0], [50, -1, 2])).toBeCloseTo(2.3669, 4)
    expect(deltaE2000([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 4)
    expect(deltaE2000([60, 10, 10], [60, 10, 10])).toBe(0)
  })

  it('simulates colour-vision deficiency with the Machado matrices in linear RGB', () => {
    // Every Machado matrix keeps greys grey (rows sum to 1).
    for (const m of Object.values(MACHADO)) for (const row of m) expect(row[0] + row[1] + row[2]).toBeCloseTo(1, 5)
    // Pure red by hand (deuteranopia): linear (1, 0, 0) → the first column (0.367322, 0.280085, −0.011820),
    // clamped to (0.367322, 0.280085, 0), back to sRGB: 1.055·0.367322^(1/2.4) − 0.055 = 0.64006, 0.56581, 0.
    const red = simulate([1, 0, 0], 'deuteranopia')
    expect(red[0]).toBeCloseTo(0.64006, 4)
    expect(red[1]).toBeCloseTo(0.56581, 4)
    expect(red[2]).toBe(0)
    expect(simulate([0.5, 0.5, 0.5], 'protanopia').map((c) => c.toFixed(4))).toEqual(['0.5000', '0.5000', '0.5000'])
  })

  it('flags a palette that collapses for colour-blind viewers (red and green of d3.schemeCategory10)', () => {
    expect(minPairwiseDifference(['#D62728', '#2CA02C'], 'normal').value).toBeGreaterThan(50)
    expect(minPairwiseDifference(['#D62728', '#2CA02C'], 'deuteranopia').value).toBeLessThan(10)
    expect(minPairwiseDifference(['#FF7F0E', '#2CA02C'], 'protanopia').value).toBeLessThan(10)
  })

  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio([0, 0, 0], [1, 1, 1])).toBeCloseTo(21, 5)
    expect(contrastRatio(parseHex('#767676'), [1, 1, 1])).toBeCloseTo(4.54, 2)
  })
})
