// SaeKernels on WebGPU: every buffer (weights, gradients, Adam moments, codes, scratch) is a GPU
// buffer, so a training step moves no data to the host except what the trainer reads (losses,
// firing counts, the gradient norm). Framework-free: the caller injects the GPUDevice (a browser
// worker's, or Node's through the `webgpu` package).
//
// Work is recorded into one command encoder and submitted only when the host needs a result
// (read, sumSquares) or writes a buffer, so a step is a handful of submissions. Kernel parameters
// go through a ring of uniform slots bound with dynamic offsets, so bind groups are cached per
// (kernel, buffers) and reused every step. The sparse backward kernels walk latent-major lists
// built on the GPU in token order, so results are deterministic run to run.
import type { AdamStep, SaeKernels } from './kernels.ts'
import * as W from './wgsl/kernels.ts'

// WebGPU enum values, spelled out so the module does not depend on browser globals.
const USAGE_MAP_READ = 0x1
const USAGE_COPY_SRC = 0x4
const USAGE_COPY_DST = 0x8
const USAGE_UNIFORM = 0x40
const USAGE_STORAGE = 0x80
const STAGE_COMPUTE = 0x4
const MAP_MODE_READ = 0x1

const UNIFORM_SLOTS = 512
const SUM_GROUPS = 256
const COL_CHUNK = 64

interface GpuBufferBase {
  readonly id: number
  /** Logical length in values. */
  readonly length: number
  readonly buffer: GPUBuffer
}

export interface GpuFloatBuffer extends GpuBufferBase {
  readonly kind: 'f32'
}

export interface GpuIndexBuffer extends GpuBufferBase {
  readonly kind: 'i32'
}

type AnyBuffer = GpuBufferBase

export interface WebGpuKernelStats {
  dispatches: number
  submits: number
  /** Host readbacks (read, readIndex, sumSquares). */
  readbacks: number
  bytesRead: number
  liveBuffers: number
  /** Bytes in live buffers (storage, uniforms, readback staging). */
  liveBytes: number
  pipelines: number
}

export interface WebGpuKernels extends SaeKernels<GpuFloatBuffer, GpuIndexBuffer> {
  readonly device: GPUDevice
  readonly stats: Readonly<WebGpuKernelStats>
  /** dst[offset + i] = src[i] for an index buffer (codes are otherwise only written by topK). */
  writeIndex(dst: GpuIndexBuffer, src: ArrayLike<number>, offset?: number): void
  /** Submits the recorded work and resolves once the GPU has finished it. */
  sync(): Promise<void>
  /** Destroys every buffer these kernels allocated; the kernels are unusable afterwards. */
  dispose(): void
}

export interface WebGpuKernelOptions {
  /** Overrides device.limits.maxComputeWorkgroupsPerDimension (tests use tiny values to force split dispatches). */
  maxWorkgroupsPerDimension?: number
}

/** Limits the kernels rely on (all within WebGPU's defaults); requestSaeDevice checks the adapter against them. */
export const SAE_MIN_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 7,
  maxComputeWorkgroupStorageSize: 2048,
} as const

interface Pipeline {
  spec: W.KernelSpec
  pipeline: GPUComputePipeline
  layout: GPUBindGroupLayout
}

/** Latent-major lists of one index buffer, valid for one (content version, rows, width, dSae). */
interface Lists {
  key: string
  tokens: GpuBufferBase
  slots: GpuBufferBase
  offsets: GpuBufferBase
}

export function createWebGpuKernels(device: GPUDevice, options: WebGpuKernelOptions = {}): WebGpuKernels {
  const limits = device.limits
  const maxDim = options.maxWorkgroupsPerDimension ?? limits.maxComputeWorkgroupsPerDimension
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)
  const slotBytes = Math.max(256, limits.minUniformBufferOffsetAlignment)
  const stats: WebGpuKernelStats = { dispatches: 0, submits: 0, readbacks: 0, bytesRead: 0, liveBuffers: 0, liveBytes: 0, pipelines: 0 }

  let disposed = false
  let nextId = 1
  const owned = new Set<GPUBuffer>()
  const pipelines = new Map<string, Pipeline>()
  const bindGroups = new Map<string, GPUBindGroup>()
  const versions = new Map<number, number>() // index buffer id -> content version
  const lists = new Map<number, Lists>()
  const stagingFree = new Map<number, GPUBuffer[]>()
  const scratch = new Map<string, GpuBufferBase>()
  let errorChecks: Promise<(GPUError | null)[]>[] = []

  function live(): void {
    if (disposed) throw new Error('webgpu kernels: used after dispose()')
  }

  function track(b: GPUBuffer): GPUBuffer {
    owned.add(b)
    stats.liveBuffers = owned.size
    stats.liveBytes += b.size
    return b
  }

  function rawBuffer(bytes: number, usage: number, label: string): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16)
    return track(device.createBuffer({ size, usage, label }))
  }

  function storage(length: number, label: string): GpuBufferBase {
    live()
    if (!Number.isInteger(length) || length < 0) throw new Error(`webgpu kernels: cannot allocate ${length} values for ${label}`)
    const bytes = length * 4
    if (Math.ceil(bytes / 16) * 16 > maxBinding)
      throw new Error(
        `webgpu kernels: ${label} needs ${length} values (${(bytes / 2 ** 20).toFixed(1)} MiB) but this device binds at most ` +
          `${(maxBinding / 2 ** 20).toFixed(1)} MiB per buffer (maxStorageBufferBindingSize); use a smaller batch or d_sae, ` +
          'or a device requested with a higher limit (requestSaeDevice asks for the adapter maximum)',
      )
    return { id: nextId++, length, buffer: rawBuffer(bytes, USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST, label) }
  }

  /** A scratch buffer of at least `length` values, reallocated (zeroed) when it grows. */
  function scratchBuffer(name: string, length: number): GpuBufferBase {
    const have = scratch.get(name)
    if (have && have.length >= length) return have
    if (have) release(have.buffer)
    const b = storage(Math.max(length, have ? Math.ceil(have.length * 1.5) : 0), `scratch ${name}`)
    scratch.set(name, b)
    return b
  }

  function release(b: GPUBuffer): void {
    flush()
    b.destroy()
    owned.delete(b)
    stats.liveBuffers = owned.size
    stats.liveBytes -= b.size
  }

  // Dummies bound where an optional buffer is absent (flags in the parameters skip them); writable
  // ones are distinct per binding so a dispatch never binds one buffer writably twice.
  const dummies = new Map<string, GpuBufferBase>()
  function dummy(slot: number, access: W.Access): GpuBufferBase {
    const key = access === 'read' ? 'r' : `w${slot}`
    let d = dummies.get(key)
    if (!d) {
      d = storage(4, `dummy ${key}`)
      dummies.set(key, d)
    }
    return d
  }

  const uniforms = track(device.createBuffer({ size: UNIFORM_SLOTS * slotBytes, usage: USAGE_UNIFORM | USAGE_COPY_DST, label: 'sae uniforms' }))
  const uniformHost = new ArrayBuffer(UNIFORM_SLOTS * slotBytes)
  const uniformView = new DataView(uniformHost)
  let uniformUsed = 0

  let encoder: GPUCommandEncoder | null = null
  let pass: GPUComputePassEncoder | null = null

  function beginBatch(): GPUCommandEncoder {
    device.pushErrorScope('validation')
    device.pushErrorScope('out-of-memory')
    encoder = device.createCommandEncoder({ label: 'sae step' })
    return encoder
  }

  function commandEncoder(): GPUCommandEncoder {
    if (pass) {
      pass.end()
      pass = null
    }
    return encoder ?? beginBatch()
  }

  function computePass(): GPUComputePassEncoder {
    if (!pass) pass = (encoder ?? beginBatch()).beginComputePass({ label: 'sae kernels' })
    return pass
  }

  function flush(): void {
    if (!encoder) return
    if (pass) {
      pass.end()
      pass = null
    }
    if (uniformUsed > 0) device.queue.writeBuffer(uniforms, 0, uniformHost, 0, uniformUsed * slotBytes)
    device.queue.submit([encoder.finish()])
    stats.submits++
    encoder = null
    uniformUsed = 0
    errorChecks.push(Promise.all([device.popErrorScope(), device.popErrorScope()]))
  }

  async function checkErrors(): Promise<void> {
    const pending = errorChecks
    errorChecks = []
    for (const check of pending)
      for (const e of await check) if (e) throw new Error(`webgpu kernels: ${e.constructor?.name ?? 'GPU error'}: ${e.message}`)
  }

  function pipelineFor(spec: W.KernelSpec): Pipeline {
    let p = pipelines.get(spec.label)
    if (p) return p
    const layout = device.createBindGroupLayout({
      label: spec.label,
      entries: [
        { binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
        ...spec.bindings.map(
          ([, , access], i): GPUBindGroupLayoutEntry => ({
            binding: i + 1,
            visibility: STAGE_COMPUTE,
            buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
          }),
        ),
      ],
    })
    const module = device.createShaderModule({ label: spec.label, code: W.kernelSource(spec) })
    const pipeline = device.createComputePipeline({
      label: spec.label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    })
    p = { spec, pipeline, layout }
    pipelines.set(spec.label, p)
    stats.pipelines = pipelines.size
    return p
  }

  /** Records one dispatch of `groups` workgroups (spread over x and y) of `spec`. */
  function run(spec: W.KernelSpec, bufs: (AnyBuffer | null)[], params: Record<string, number>, groups: number): void {
    live()
    if (groups <= 0) return
    if (bufs.length !== spec.bindings.length) throw new Error(`webgpu kernels: ${spec.label} takes ${spec.bindings.length} buffers, got ${bufs.length}`)
    const bound = bufs.map((b, i) => b ?? dummy(i + 1, spec.bindings[i][2]))
    for (let i = 0; i < bound.length; i++) {
      if (spec.bindings[i][2] !== 'read_write') continue
      for (let j = 0; j < bound.length; j++)
        if (j !== i && bound[j] === bound[i])
          throw new Error(`webgpu kernels: ${spec.label}: ${spec.bindings[i][0]} and ${spec.bindings[j][0]} are the same buffer`)
    }
    const x = Math.min(groups, maxDim)
    const y = Math.ceil(groups / x)
    if (y > maxDim) throw new Error(`webgpu kernels: ${spec.label} needs ${groups} workgroups, more than ${maxDim}² per dispatch`)

    const p = pipelineFor(spec)
    const key = `${spec.label}|${bound.map((b) => b.id).join(',')}`
    let bg = bindGroups.get(key)
    if (!bg) {
      if (bindGroups.size > 4096) bindGroups.clear()
      bg = device.createBindGroup({
        label: spec.label,
        layout: p.layout,
        entries: [{ binding: 0, resource: { buffer: uniforms, offset: 0, size: slotBytes } }, ...bound.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } }))],
      })
      bindGroups.set(key, bg)
    }

    if (uniformUsed >= UNIFORM_SLOTS) flush()
    const slot = uniformUsed++
    const base = slot * slotBytes
    spec.params.forEach(([name, type], i) => {
      const v = params[name]
      if (v === undefined || !Number.isFinite(v)) throw new Error(`webgpu kernels: ${spec.label}: parameter ${name} = ${v}`)
      if (type === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`webgpu kernels: ${spec.label}: ${name} = ${v} is not a u32`)
        uniformView.setUint32(base + 4 * i, v, true)
      } else uniformView.setFloat32(base + 4 * i, v, true)
    })
    const pe = computePass()
    pe.setPipeline(p.pipeline)
    pe.setBindGroup(0, bg, [base])
    pe.dispatchWorkgroups(x, y)
    stats.dispatches++
  }

  const groupsOf = (n: number, size: number) => Math.ceil(n / size)

  function takeStaging(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16)
    const free = stagingFree.get(size)
    if (free?.length) return free.pop()!
    return track(device.createBuffer({ size, usage: USAGE_MAP_READ | USAGE_COPY_DST, label: 'sae readback' }))
  }

  async function readBytes(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    live()
    if (bytes === 0) return new ArrayBuffer(0)
    const staging = takeStaging(bytes)
    commandEncoder().copyBufferToBuffer(src, 0, staging, 0, bytes)
    flush()
    stats.readbacks++
    stats.bytesRead += bytes
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, bytes)
    } catch (e) {
      await checkErrors()
      throw e
    }
    const out = staging.getMappedRange(0, bytes).slice(0)
    staging.unmap()
    const size = staging.size
    if (!disposed) {
      const free = stagingFree.get(size) ?? []
      free.push(staging)
      stagingFree.set(size, free)
    }
    await checkErrors()
    return out
  }

  function checkLength(what: string, b: AnyBuffer, need: number): void {
    if (need > b.length) throw new Error(`webgpu kernels: ${what} needs ${need} values but the buffer holds ${b.length}`)
  }

  function bumpVersion(b: GpuIndexBuffer): void {
    versions.set(b.id, (versions.get(b.id) ?? 0) + 1)
  }

  /**
   * Latent-major lists of a sparse code (all entries, zeros included: they add exact zeros). Codes
   * must name distinct latents in [0, dSae) per row, as topK and deadTopK write them.
   */
  function listsFor(idx: GpuIndexBuffer, rows: number, width: number, dSae: number): Lists {
    const key = `${versions.get(idx.id) ?? 0}:${rows}:${width}:${dSae}`
    let l = lists.get(idx.id)
    if (l?.key === key) return l
    const n = rows * width
    checkLength('sparse code', idx, n)
    if (!l || l.tokens.length < n || l.offsets.length < dSae + 1) {
      if (l) for (const b of [l.tokens, l.slots, l.offsets]) release(b.buffer)
      l = { key, tokens: storage(n, 'list tokens'), slots: storage(n, 'list slots'), offsets: storage(dSae + 1, 'list offsets') }
      lists.set(idx.id, l)
    }
    l.key = key
    const M = scratchBuffer('marks', rows * dSae)
    const counts = scratchBuffer('counts', dSae)
    run(W.cscScatter, [idx, M], { n, width, dSae }, groupsOf(n, 256))
    run(W.cscCount, [M, counts], { rows, dSae }, groupsOf(dSae, 256))
    run(W.scanOffsets, [counts, l.offsets], { n: dSae }, 1)
    run(W.cscFill, [M, l.offsets, l.tokens, l.slots], { rows, dSae, width }, groupsOf(dSae, 256))
    return l
  }

  function listBindings(idx: GpuIndexBuffer | null, rows: number, width: number, dSae: number): [AnyBuffer | null, AnyBuffer | null, AnyBuffer | null, number] {
    if (!idx) {
      if (width !== dSae) throw new Error(`webgpu kernels: a dense code needs width = d_sae (${dSae}), got ${width}`)
      return [null, null, null, 1]
    }
    const l = listsFor(idx, rows, width, dSae)
    return [l.tokens, l.slots, l.offsets, 0]
  }

  /** out[d] += sign · Σ_r (w[r] ·) m[r, d] */
  function columnSums(m: AnyBuffer, w: AnyBuffer | null, out: AnyBuffer, rows: number, cols: number, sign: number): void {
    if (rows === 0 || cols === 0) return
    const chunks = Math.ceil(rows / COL_CHUNK)
    const partial = scratchBuffer('columns', chunks * cols)
    run(W.colPartials, [m, w, partial], { rows, cols, chunk: COL_CHUNK, hasW: w ? 1 : 0 }, chunks * groupsOf(cols, 64))
    run(W.colFinish, [partial, out], { cols, chunks, sign }, groupsOf(cols, 256))
  }

  function gradRows(bufs: (AnyBuffer | null)[], rows: number, dIn: number, dSae: number, width: number, dense: number, writeGs: boolean): void {
    const vec4 = dIn % 4 === 0
    const params = { rows, cols: vec4 ? dIn / 4 : dIn, dSae, width, dense, writeGs: writeGs ? 1 : 0 }
    run(vec4 ? W.gradRows4 : W.gradRows1, bufs, params, dSae)
  }

  function matmul(a: AnyBuffer, b: AnyBuffer, bias: AnyBuffer | null, out: AnyBuffer, m: number, k: number, n: number): void {
    if (m === 0 || n === 0) return
    if (k === 0) {
      run(W.fill, [out], { n: m * n, value: 0 }, groupsOf(m * n, 256))
      return
    }
    const vec4 = k % 4 === 0
    run(vec4 ? W.matmulNT4 : W.matmulNT1, [a, b, bias, out], { m, n, kk: vec4 ? k / 4 : k, hasBias: bias ? 1 : 0 }, groupsOf(m, 32) * groupsOf(n, 32))
  }

  const kernels: WebGpuKernels = {
    name: 'webgpu',
    device,
    stats,

    alloc: (length) => ({ kind: 'f32', ...storage(length, 'float buffer') }),
    allocIndex: (length) => ({ kind: 'i32', ...storage(length, 'index buffer') }),

    write(dst, src, offset = 0) {
      live()
      checkLength('write', dst, offset + src.length)
      if (src.length === 0) return
      flush()
      // writeBuffer takes shared memory too (AllowSharedBufferSource); the typings do not say so
      const data = (src instanceof Float32Array ? src : Float32Array.from(src)) as Float32Array<ArrayBuffer>
      device.queue.writeBuffer(dst.buffer, offset * 4, data)
    },

    writeIndex(dst, src, offset = 0) {
      live()
      checkLength('writeIndex', dst, offset + src.length)
      bumpVersion(dst)
      if (src.length === 0) return
      flush()
      const data = (src instanceof Int32Array ? src : Int32Array.from(src)) as Int32Array<ArrayBuffer>
      device.queue.writeBuffer(dst.buffer, offset * 4, data)
    },

    async read(src, length = src.length) {
      checkLength('read', src, length)
      return new Float32Array(await readBytes(src.buffer, length * 4))
    },

    async readIndex(src, length = src.length) {
      checkLength('readIndex', src, length)
      return new Int32Array(await readBytes(src.buffer, length * 4))
    },

    fill(dst, value, length = dst.length) {
      checkLength('fill', dst, length)
      if (length === 0) return
      if (value === 0) commandEncoder().clearBuffer(dst.buffer, 0, length * 4)
      else run(W.fill, [dst], { n: length, value }, groupsOf(length, 256))
    },

    center(x, bDec, xc, rows, dIn) {
      const n = rows * dIn
      run(W.center, [x, bDec, xc], { n, dIn }, groupsOf(n, 256))
    },

    encode(xc, encoder, bEnc, pre, rows, dIn, dSae) {
      checkLength('encode', pre, rows * dSae)
      matmul(xc, encoder, bEnc, pre, rows, dIn, dSae)
    },

    topK(pre, rows, dSae, k, idx, val) {
      checkLength('topK', idx, rows * k)
      if (k < 1 || k > dSae || k >= 2 ** 24) throw new Error(`webgpu kernels: topK needs k in [1, ${Math.min(dSae, 2 ** 24 - 1)}], got ${k}`)
      bumpVersion(idx)
      run(W.topK, [pre, null, idx, val], { rows, dSae, k, mode: 0 }, rows)
    },

    deadTopK(pre, dead, rows, dSae, kAux, idx, val) {
      checkLength('deadTopK', idx, rows * kAux)
      if (kAux < 1 || kAux > dSae || kAux >= 2 ** 24)
        throw new Error(`webgpu kernels: deadTopK needs kAux in [1, ${Math.min(dSae, 2 ** 24 - 1)}], got ${kAux}`)
      bumpVersion(idx)
      run(W.topK, [pre, dead, idx, val], { rows, dSae, k: kAux, mode: 1 }, rows)
    },

    relu(pre, val, length) {
      run(W.relu, [pre, val], { n: length }, groupsOf(length, 256))
    },

    decode(idx, val, width, decoder, bDec, out, rows, dIn) {
      const vec4 = dIn % 4 === 0
      const cols = vec4 ? dIn / 4 : dIn
      const params = { rows, cols, width, hasIdx: idx ? 1 : 0, hasBias: bDec ? 1 : 0 }
      run(vec4 ? W.decode4 : W.decode1, [idx, val, decoder, bDec, out], params, groupsOf(rows * cols, 256))
    },

    errorGrad(a, b, c, coef, out, rowSq, rows, dIn) {
      run(W.errorGrad, [a, b, c, out, rowSq], { rows, dIn, coef, hasC: c ? 1 : 0, hasRowSq: rowSq ? 1 : 0 }, rows)
    },

    decodeBackward(idx, val, width, err, decoder, gDec, gVal, gate, rows, dIn) {
      const dSae = decoder.length / dIn
      const [tokens, slots, offsets, dense] = listBindings(idx, rows, width, dSae)
      if (idx) {
        const vec4 = dIn % 4 === 0
        const params = { rows, cols: vec4 ? dIn / 4 : dIn, width, gate: gate ? 1 : 0 }
        run(vec4 ? W.slotDots4 : W.slotDots1, [idx, val, err, decoder, gVal], params, groupsOf(rows * width, 256))
      } else {
        // the dense code's gradient err · decoderᵀ is the encoder's product shape
        matmul(err, decoder, null, gVal, rows, dIn, dSae)
        if (gate) run(W.gate, [val, gVal], { n: rows * dSae }, groupsOf(rows * dSae, 256))
      }
      gradRows([val, err, tokens, slots, offsets, gDec, null], rows, dIn, dSae, width, dense, false)
    },

    l1Backward(idx, val, width, decoder, coef, gVal, gDec, rowL1, rows, dIn, dSae) {
      const norms = scratchBuffer('norms', dSae)
      const zs = scratchBuffer('latent sums', dSae)
      const [tokens, slots, offsets, dense] = listBindings(idx, rows, width, dSae)
      run(W.rowNorms, [decoder, norms], { rows: dSae, cols: dIn }, dSae)
      run(W.l1Tokens, [idx, val, norms, gVal, rowL1], { rows, width, hasIdx: idx ? 1 : 0, coef }, groupsOf(rows, 256))
      run(W.latentSums, [val, tokens, slots, offsets, zs], { rows, dSae, width, dense, mode: 1 }, groupsOf(dSae, 256))
      run(W.l1Decoder, [decoder, norms, zs, gDec], { n: dSae * dIn, dIn, coef }, groupsOf(dSae * dIn, 256))
    },

    encodeBackward(idx, gPre, width, xc, encoder, gEncoder, gBEnc, gBDec, rows, dIn) {
      const dSae = encoder.length / dIn
      const [tokens, slots, offsets, dense] = listBindings(idx, rows, width, dSae)
      const gs = scratchBuffer('gs', dSae)
      gradRows([gPre, xc, tokens, slots, offsets, gEncoder, gs], rows, dIn, dSae, width, dense, true)
      run(W.addInto, [gs, gBEnc], { n: dSae, sign: 1 }, groupsOf(dSae, 256))
      columnSums(encoder, gs, gBDec, dSae, dIn, -1)
    },

    addColumnSums(m, out, rows, cols) {
      columnSums(m, null, out, rows, cols, 1)
    },

    countFiring(idx, val, width, rows, dSae, fired) {
      const [tokens, slots, offsets, dense] = listBindings(idx, rows, width, dSae)
      run(W.latentSums, [val, tokens, slots, offsets, fired], { rows, dSae, width, dense, mode: 0 }, groupsOf(dSae, 256))
    },

    async sumSquares(buf, length) {
      checkLength('sumSquares', buf, length)
      if (length === 0) return 0
      const groups = Math.min(SUM_GROUPS, groupsOf(length, 64))
      const partial = scratchBuffer('sum partials', SUM_GROUPS)
      const result = scratchBuffer('sum result', 1)
      run(W.sumSqPartial, [buf, partial], { n: length, groups }, groups)
      run(W.sumFinal, [partial, result], { n: groups }, 1)
      return new Float32Array(await readBytes(result.buffer, 4))[0]
    },

    projectOutParallel(w, g, rows, cols) {
      run(W.projectRows, [w, g], { rows, cols }, rows)
    },

    normalizeRows(w, rows, cols) {
      run(W.normalizeRows, [w], { rows, cols }, rows)
    },

    adam(param, grad, m, v, length, hp: AdamStep) {
      run(
        W.adam,
        [param, grad, m, v],
        {
          n: length,
          b1: hp.beta1,
          b2: hp.beta2,
          c1: 1 - hp.beta1,
          c2: 1 - hp.beta2,
          stepSize: hp.lr / (1 - hp.beta1 ** hp.step),
          invSqrtBc2: 1 / Math.sqrt(1 - hp.beta2 ** hp.step),
          eps: hp.eps,
          gradScale: hp.gradScale,
        },
        groupsOf(Math.ceil(length / 4), 256),
      )
    },

    async sync() {
      live()
      flush()
      await device.queue.onSubmittedWorkDone()
      await checkErrors()
    },

    dispose() {
      if (disposed) return
      flush()
      disposed = true
      for (const b of owned) b.destroy()
      owned.clear()
      stats.liveBuffers = 0
      stats.liveBytes = 0
      pipelines.clear()
      bindGroups.clear()
      lists.clear()
      scratch.clear()
      dummies.clear()
      stagingFree.clear()
    },
  }
  return kernels
}

/** What requestSaeDevice found: a device for createWebGpuKernels, or why there is none. */
export type SaeDeviceResult =
  | {
      ok: true
      device: GPUDevice
      adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean }
    }
  | { ok: false; reason: string }

export interface RequestSaeDeviceOptions {
  /** The GPU entry point (default navigator.gpu); Node passes the `webgpu` package's. */
  gpu?: GPU
  powerPreference?: GPUPowerPreference
}

/**
 * Asks for an adapter and a device with the limits the SAE kernels need, raising the buffer limits
 * to the adapter's maximum so large shapes fit. Never throws: a missing API, adapter or limit comes
 * back as a reason to show next to the CPU fallback.
 */
export async function requestSaeDevice(opts: RequestSaeDeviceOptions = {}): Promise<SaeDeviceResult> {
  const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu
  if (!gpu) return { ok: false, reason: 'WebGPU is not available here (navigator.gpu is missing); training runs on the CPU path' }
  let adapter: GPUAdapter | null
  try {
    adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined)
  } catch (e) {
    return { ok: false, reason: `WebGPU adapter request failed: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (!adapter) return { ok: false, reason: 'WebGPU is enabled but no adapter is available (blocklisted GPU or driver); training runs on the CPU path' }
  const have = adapter.limits as unknown as Record<string, number>
  for (const [name, need] of Object.entries(SAE_MIN_LIMITS))
    if (!(have[name] >= need)) return { ok: false, reason: `the WebGPU adapter's ${name} is ${have[name]}, the SAE kernels need ${need}` }
  const info = adapter.info as GPUAdapterInfo | undefined
  const fallback = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false
  let device: GPUDevice
  try {
    device = await adapter.requestDevice({
      label: 'moral-lens sae',
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    })
  } catch (e) {
    return { ok: false, reason: `WebGPU device request failed: ${e instanceof Error ? e.message : String(e)}` }
  }
  return {
    ok: true,
    device,
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: fallback,
    },
  }
}
