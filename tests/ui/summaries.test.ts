// The plots' text alternatives: summaries name the extremes, tables hold every plotted value.
import { describe, expect, it } from 'vitest'
import { coefficientSummary, coefficientTable, heatmapSummary, heatmapTable, histogramSummary, histogramTable, lineSummary, lineTable, scatterSummary, scatterTable } from '../../src/ui/plots/summaries.ts'
import { toCsv } from '../../src/core/export/csv.ts'

describe('plot summaries and tables', () => {
  const series = [
    { name: 'a', points: [{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: -2 }] },
    { name: 'b', points: [{ x: 1, y: 0.5, lo: 0.25, hi: 0.75 }, { x: 3, y: null, lo: null, hi: null }] },
  ]

  it('line charts: one row per x across all series, bands as extra columns, gaps left empty', () => {
    const t = lineTable(series, 'Layer')
    expect(t.columns).toEqual(['Layer', 'a', 'b', 'b (low)', 'b (high)'])
    expect(t.rows).toEqual([
      [0, 1, null, null, null],
      [1, 3, 0.5, 0.25, 0.75],
      [2, -2, null, null, null],
      [3, null, null, null, null],
    ])
    expect(toCsv(t.columns, t.rows)).toBe('Layer,a,b,b (low),b (high)\r\n0,1,,,\r\n1,3,0.5,0.25,0.75\r\n2,-2,,,\r\n3,,,,\r\n')
    const s = lineSummary(series, 'Layer', 'Cosine')
    expect(s).toContain('a: 1 at layer 0, -2 at layer 2; highest 3 at layer 1, lowest -2 at layer 2.')
    expect(s).toContain('b: 0.5 at layer 1')
  })

  it('scatter plots: every point with its label and groups, counts per group', () => {
    const pts = [
      { x: 1, y: 2, label: 'kind act', group: 'virtue', shape: 'care' },
      { x: 3, y: -1, label: 'cruel act', group: 'vice', shape: 'care' },
      { x: 2, y: 0, label: 'other', group: 'vice', shape: 'fairness' },
    ]
    expect(scatterTable(pts, 'PC1', 'PC2')).toEqual({
      columns: ['Label', 'Group', 'Marker group', 'PC1', 'PC2'],
      rows: [
        ['kind act', 'virtue', 'care', 1, 2],
        ['cruel act', 'vice', 'care', 3, -1],
        ['other', 'vice', 'fairness', 2, 0],
      ],
    })
    expect(scatterSummary(pts, 'PC1', 'PC2')).toBe('3 points. PC1 from 1 to 3; PC2 from -1 to 2. Groups: virtue (1), vice (2). Every point is listed in the data table.')
  })

  it('histograms, heatmaps and coefficient plots', () => {
    const bins = [
      { x0: 0, x1: 1, count: 2 },
      { x0: 1, x1: 2, count: 5 },
    ]
    expect(histogramTable(bins, 'Activation', 'Tokens').rows).toEqual([
      [0, 1, 2],
      [1, 2, 5],
    ])
    expect(histogramSummary(bins, 'Activation', 'Tokens')).toBe('2 bins of Activation from 0 to 2, 7 tokens in all; the largest bin, 1 to 2, holds 5.')
    const rows = [
      { label: 'moral · grammar', values: [0.1, null, -0.8] },
      { label: 'moral · worth', values: [0.9, 0.2, 0] },
    ]
    expect(heatmapTable(rows, ['0', '1', '2'], 'Layer').columns).toEqual(['Row', 'Layer 0', 'Layer 1', 'Layer 2'])
    expect(heatmapSummary(rows, ['0', '1', '2'], 'Layer')).toBe('2 rows by 3 layer columns. Highest 0.9 (moral · worth, layer 0); lowest -0.8 (moral · grammar, layer 2).')
    const coef = [{ label: 'moral → grammar', values: [{ series: 'before', estimate: 0.5, lo: 0.2, hi: 0.8 }, { series: 'after', estimate: 0.1, lo: 0.1, hi: 0.1 }] }]
    expect(coefficientTable(coef).rows).toEqual([
      ['moral → grammar', 'before', 0.5, 0.2, 0.8],
      ['moral → grammar', 'after', 0.1, 0.1, 0.1],
    ])
    expect(coefficientSummary(coef)).toBe('moral → grammar: before 0.5 (0.2 to 0.8), after 0.1.')
  })
})
