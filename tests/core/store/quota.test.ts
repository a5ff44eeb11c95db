import { describe, expect, it } from 'vitest'
import { checkCaptureQuota, checkQuota, estimateCaptureBytes, formatBytes } from '../../../src/core/store/quota.ts'

describe('capture size and quota', () => {
  it('estimates rows × d_model × hooks × bytes per value', () => {
    expect(estimateCaptureBytes(5000, 1024, 24, 'float32')).toBe(491_520_000)
    expect(estimateCaptureBytes(5000, 1024, 24, 'float16')).toBe(245_760_000)
    expect(estimateCaptureBytes(0, 1024, 24, 'float16')).toBe(0)
    expect(() => estimateCaptureBytes(-1, 4, 1, 'float32')).toThrow(/nRows must be a non-negative integer/)
    expect(() => estimateCaptureBytes(1, 4, 1, 'bf16' as never)).toThrow(/float32 or float16/)
  })

  it('warns before a capture that would exceed the available quota', async () => {
    const estimate = async () => ({ quota: 1_000_000_000, usage: 700_000_000 })
    const need = estimateCaptureBytes(5000, 1024, 24, 'float32')
    const r = await checkQuota(need, { estimate })
    expect(r).toMatchObject({ ok: false, needBytes: 491_520_000, availableBytes: 300_000_000, quotaBytes: 1e9, usageBytes: 7e8 })
    expect(r.message).toBe(
      'This capture needs about 492 MB but only 300 MB of browser storage is free (quota 1.0 GB, 700 MB used). ' +
        'Store as float16 (half the size), capture fewer hooks or texts, or delete stored captures.',
    )
    const half = await checkCaptureQuota(5000, 1024, 24, 'float16', { estimate })
    expect(half).toMatchObject({ ok: true, needBytes: 245_760_000, availableBytes: 300_000_000 })
    expect((await checkQuota(250_000_000, { estimate, reserveBytes: 60_000_000 })).ok).toBe(false)
    expect((await checkQuota(300_000_000, { estimate })).ok).toBe(true)
  })

  it('says ok with the reason when the quota cannot be known', async () => {
    expect(await checkQuota(10, { estimate: null })).toMatchObject({ ok: true, message: expect.stringMatching(/unknown/) })
    expect(await checkQuota(10)).toMatchObject({ ok: true }) // Node has no navigator.storage
    const failing = async () => {
      throw new Error('denied')
    }
    expect(await checkQuota(10, { estimate: failing })).toMatchObject({ ok: true, message: expect.stringMatching(/denied/) })
    expect(await checkQuota(10, { estimate: async () => ({}) })).toMatchObject({ ok: true })
    // usage missing counts as 0
    expect(await checkQuota(10, { estimate: async () => ({ quota: 5 }) })).toMatchObject({ ok: false, availableBytes: 5 })
  })

  it('formats sizes in decimal units', () => {
    expect([999, 1000, 1_234_567, 45_600_000_000].map(formatBytes)).toEqual(['999 B', '1.0 kB', '1.2 MB', '45.6 GB'])
  })
})
