import { describe, expect, it } from 'vitest'
import { STORY_TITLES, TOUR_STEPS, storyProgress, type TourStory } from '../../../src/core/tour/tour.ts'
import { PANELS } from '../../../src/ui/panels/registry.ts'

describe('guided tour', () => {
  it('walks the three stories in order, each step on a real panel', () => {
    const order: TourStory[] = ['start', 'indifference', 'entanglement', 'elicitation', 'features', 'end']
    const seen = TOUR_STEPS.map((s) => order.indexOf(s.story))
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true)
    for (const story of order) expect(TOUR_STEPS.some((s) => s.story === story)).toBe(true)
    for (const s of TOUR_STEPS) {
      expect(PANELS.map((p) => p.id)).toContain(s.panel)
      expect(s.body.length).toBeGreaterThan(120)
      expect(STORY_TITLES[s.story]).toBeTruthy()
    }
    expect(new Set(TOUR_STEPS.map((s) => s.id)).size).toBe(TOUR_STEPS.length)
  })

  it('counts steps within a story', () => {
    const i = TOUR_STEPS.findIndex((s) => s.id === 'gradient')
    expect(storyProgress(i)).toEqual({ story: 'indifference', position: 2, length: TOUR_STEPS.filter((s) => s.story === 'indifference').length })
    expect(() => storyProgress(TOUR_STEPS.length)).toThrow(/does not exist/)
  })
})
