// The plots' palettes stay distinguishable for colour-blind viewers, and series never differ by
// colour alone.
import { describe, expect, it } from 'vitest'
import { DASHES, MARKERS, OKABE_ITO, divergingColor, divergingTextColor, seriesColor, seriesMarker } from '../../src/ui/plots/palette.ts'
import { contrastRatio, deltaE2000, deltaE76, minPairwiseDifference, parseColour, simulate, srgbToLab, toHex } from '../../src/core/colour/cvd.ts'

// Threshold: a CIEDE2000 difference of 10 is roughly five times the just-noticeable difference
// (≈ 2 for large uniform patches, Sharma 2003), a margin for small marks such as 4 px points and
// 2.5 px lines, where perceived differences shrink. CIE76 overstates blue and saturated differences,
// so its bar is set higher (15).
const MIN_DE2000 = 10
const MIN_DE76 = 15
const FIRST_SIX = OKABE_ITO.slice(0, 6)

describe('categorical palette (Okabe–Ito)', () => {
  for (const deficiency of ['normal', 'protanopia', 'deuteranopia', 'tritanopia'] as const) {
    it(`keeps every pair of the first six series colours apart for ${deficiency}`, () => {
      const de00 = minPairwiseDifference(FIRST_SIX, deficiency, deltaE2000)
      const de76 = minPairwiseDifference(FIRST_SIX, deficiency, deltaE76)
      expect(de00.value, `closest pair ${de00.pair.join(' / ')}`).toBeGreaterThan(MIN_DE2000)
      expect(de76.value, `closest pair ${de76.pair.join(' / ')}`).toBeGreaterThan(MIN_DE76)
    })
  }

  it('is what seriesColor hands out', () => {
    expect(Array.from({ length: 6 }, (_, i) => seriesColor(i))).toEqual(FIRST_SIX)
  })

  it('gives each of the first six series its own dash pattern and marker shape', () => {
    expect(new Set(DASHES.slice(0, 6)).size).toBe(6)
    expect(new Set(Array.from({ length: 6 }, (_, i) => seriesMarker(i))).size).toBe(6)
    expect(MARKERS.length).toBeGreaterThanOrEqual(6)
  })
})

describe('diverging scale (heatmaps)', () => {
  const stops = [-1, -0.5, 0, 0.5, 1]
  for (const deficiency of ['protanopia', 'deuteranopia'] as const) {
    it(`keeps −1, −0.5, 0, 0.5 and 1 apart for ${deficiency}, and the two ends far apart`, () => {
      const hexes = stops.map((v) => toHex(parseColour(divergingColor(v))))
      expect(minPairwiseDifference(hexes, deficiency).value).toBeGreaterThan(MIN_DE2000)
      const [lo, hi] = [divergingColor(-1), divergingColor(1)].map((c) => srgbToLab(simulate(parseColour(c), deficiency)))
      expect(deltaE2000(lo, hi)).toBeGreaterThan(25)
    })
  }

  it('is near-white at 0 and darkens steadily towards both ends, so magnitude reads without hue', () => {
    const lightness = (v: number) => srgbToLab(parseColour(divergingColor(v)))[0]
    expect(lightness(0)).toBeGreaterThan(90)
    for (const sign of [1, -1])
      for (let i = 1; i <= 20; i++) expect(lightness((sign * i) / 20), `at ${(sign * i) / 20}`).toBeLessThan(lightness((sign * (i - 1)) / 20))
    // Equal lightness at ±v up to 8-bit rounding (about one L* unit).
    for (const v of [0.25, 0.5, 0.75, 1]) expect(Math.abs(lightness(v) - lightness(-v)), `at ±${v}`).toBeLessThan(2)
  })

  it('prints cell values with a WCAG AA contrast (4.5) on every colour of the scale', () => {
    for (let i = -100; i <= 100; i++) {
      const v = i / 100
      expect(contrastRatio(parseColour(divergingColor(v)), parseColour(divergingTextColor(v))), `at ${v}`).toBeGreaterThanOrEqual(4.5)
    }
  })
})
