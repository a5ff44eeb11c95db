// Colour-blind-safe categorical palette (Okabe–Ito) and marker shapes, so no plot relies on
// colour alone.
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4']
export function seriesColor(i: number): string {
  return OKABE_ITO[i % OKABE_ITO.length]
}
