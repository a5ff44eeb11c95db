import { test, expect, waitForModel, screenshot, HUB } from './fixtures.ts'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../src/core/testmodels/package.ts'
import { referenceForward, type ReferenceIntervention } from '../src/core/testmodels/reference.ts'
import { orthonormalize } from '../src/core/hooks/interventions.ts'

const TEXTS = ['It is good to help a friend.', 'Stealing is wrong', 'Claim: lying is bad. I think this claim is']

function unit(d: number, seed: number): number[] {
  let s = seed
  const v = Array.from({ length: d }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return s / 2 ** 31 - 0.5
  })
  const n = Math.hypot(...v)
  return v.map((x) => x / n)
}

for (const device of ['wasm', 'webgpu'] as const) {
  // The legacy export has float16 tensors, which SwiftShader's WebGPU (no shader-f16) cannot run.
  for (const def of [...BUILTIN_MODELS, ...TEST_MODELS].filter((m) => device === 'wasm' || !m.variant)) {
    test(`${def.id} on ${device}: captured residuals and interventions match the reference forward pass`, async ({ page }) => {
      const build = buildTinyModel(def)
      const cfg = build.config
      const d = cfg.dModel
      const builtin = BUILTIN_MODELS.includes(def)
      await page.goto(builtin ? `./?builtin=${def.id}&device=${device}` : `./?hub=${encodeURIComponent(HUB)}&model=moral-lens-test/${def.id}&device=${device}`)
      const info = await waitForModel(page)
      expect(info.device).toBe(device)
      expect(info.hooks.supported).toBe(true)
      expect(info.hooks.style).toBe(def.style)
      expect(info.hooks.names).toHaveLength(3 * cfg.nLayers)
      const dir = unit(d, 5)
      const steer = unit(d, 7).map((x) => 3 * x)
      const result = await page.evaluate(
        async ({ texts, dir, steer }) => {
          const w = (globalThis as any).moralLens.worker()
          const plain = await w.capture(texts, { hooks: ['resid_pre', 'resid_mid', 'resid_post'], pooling: 'all', batchSize: 3 })
          const interventions = [
            { hook: 'blocks.1.hook_resid_mid', ablate: [Float32Array.from(dir)] },
            { hook: 'blocks.2.hook_resid_post', add: Float32Array.from(steer), positions: 'last' },
          ]
          const edited = await w.capture(texts, { hooks: ['resid_post'], pooling: 'all', interventions })
          const toArr = (r: any) => Object.fromEntries(Object.entries(r.activations).map(([k, v]: any) => [k, Array.from(v.data as Float32Array)]))
          return { offsets: plain.offsets, tokenIds: plain.tokenIds, plain: toArr(plain), edited: toArr(edited) }
        },
        { texts: TEXTS, dir, steer },
      )
      const ivs: ReferenceIntervention[] = [
        { hook: 'resid_mid', layer: 1, ablate: orthonormalize([Float32Array.from(dir)], d) },
        { hook: 'resid_post', layer: 2, add: Float32Array.from(steer), lastOnly: true },
      ]
      let maxPlain = 0
      let maxEdited = 0
      result.tokenIds.forEach((ids: number[], i: number) => {
        const ref = referenceForward(cfg, build.weights, ids)
        const refEdited = referenceForward(cfg, build.weights, ids, ivs)
        const off = result.offsets[i] * d
        for (let l = 0; l < cfg.nLayers; l++) {
          for (const [kind, seq] of [
            ['resid_pre', ref.residPre[l]],
            ['resid_mid', ref.residMid[l]],
            ['resid_post', ref.residPost[l]],
          ] as const) {
            const got = result.plain[`blocks.${l}.hook_${kind}`]
            for (let j = 0; j < seq.length; j++) maxPlain = Math.max(maxPlain, Math.abs(got[off + j] - seq[j]))
          }
          const got = result.edited[`blocks.${l}.hook_resid_post`]
          const seq = refEdited.residPost[l]
          for (let j = 0; j < seq.length; j++) maxEdited = Math.max(maxEdited, Math.abs(got[off + j] - seq[j]))
        }
      })
      expect(maxPlain).toBeLessThan(1e-4)
      expect(maxEdited).toBeLessThan(1e-4)
    })
  }
}

test('the Model panel shows the hook points, the residual norms and the logit lens, and streams generation', async ({ page }) => {
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm')
  await waitForModel(page)
  const inside = page.getByTestId('inside-model')
  await expect(page.getByTestId('hook-count')).toHaveText('12')
  await expect(page.getByTestId('layer-diagram').locator('circle')).toHaveCount(9)
  await page.getByTestId('lens-run').click()
  await expect(page.getByTestId('lens-table').locator('tbody tr')).toHaveCount(5)
  await expect(page.getByTestId('norm-plot').locator('svg circle')).toHaveCount(5)
  await inside.scrollIntoViewIfNeeded()
  await page.getByTestId('lens-results').scrollIntoViewIfNeeded()
  await screenshot(page, 'model-logit-lens')
  await page.getByTestId('gen-run').click()
  await expect(page.getByTestId('gen-output')).not.toBeEmpty()
  await expect(page.getByTestId('gen-run')).toHaveText('Generate', { timeout: 60_000 })
  await page.getByTestId('gen-output').scrollIntoViewIfNeeded()
  await screenshot(page, 'model-generate')
})

test('a float16 graph on a WebGPU adapter without shader-f16: forced WebGPU is refused, automatic falls back to WASM', async ({ page }) => {
  await page.goto(`./?hub=${encodeURIComponent(HUB)}&model=moral-lens-test/tiny-gpt2-legacy&device=webgpu`)
  await expect(page.getByTestId('error-banner')).toContainText("lacks 'shader-f16'")
  await page.goto(`./?hub=${encodeURIComponent(HUB)}&model=moral-lens-test/tiny-gpt2-legacy&device=auto`)
  const info = await waitForModel(page)
  expect(info.device).toBe('wasm')
  expect(info.deviceReason).toMatch(/float16 tensors and the WebGPU adapter lacks 'shader-f16'/)
  await expect(page.getByTestId('device-reason')).toContainText('shader-f16')
})
