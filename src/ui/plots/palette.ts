import { interpolateLab, lab } from 'd3'
import { parseColour, relativeLuminance } from '../../core/colour/cvd.ts'

// Colour-blind-safe categorical palette (Okabe–Ito), dash patterns and marker shapes, so no plot
// relies on colour alone: series differ by dash (lines) or marker (points) as well.
// tests/ui/palette.test.ts checks the first six colours under simulated protanopia and deuteranopia.
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4']
/** Marker shapes by series or group index (names of d3 symbol types). */
export const MARKERS = ['circle', 'triangle', 'square', 'diamond', 'cross', 'star'] as const
export type MarkerName = (typeof MARKERS)[number]
export function seriesColor(i: number): string {
  return OKABE_ITO[i % OKABE_ITO.length]
}
export function seriesMarker(i: number): MarkerName {
  return MARKERS[i % MARKERS.length]
}
// Diverging scale: blue (+1) and orange-brown (−1) through near-white, interpolated in CIELAB with
// the same lightness at both ends, so magnitude reads without hue and the two sides stay apart for
// red-green colour blindness (unlike red–green or red–blue schemes).
const DIVERGING_MID = lab(97, 0, 0)
const DIVERGING_POS = interpolateLab(DIVERGING_MID, lab(38, 8, -52))
const DIVERGING_NEG = interpolateLab(DIVERGING_MID, lab(38, 28, 48))
/** The colour of a value in [−1, 1] (clamped). */
export function divergingColor(v: number): string {
  const c = Math.max(-1, Math.min(1, v))
  return c >= 0 ? DIVERGING_POS(c) : DIVERGING_NEG(-c)
}
/** Text on a diverging cell: white or black, whichever contrasts more (≥ 4.5 everywhere, tested). */
export function divergingTextColor(v: number): string {
  const y = relativeLuminance(parseColour(divergingColor(v)))
  // Contrast with white is 1.05 / (y + 0.05), with black (y + 0.05) / 0.05; the worse case is ≈ 4.58.
  return 1.05 / (y + 0.05) >= (y + 0.05) / 0.05 ? '#fff' : '#000'
}
