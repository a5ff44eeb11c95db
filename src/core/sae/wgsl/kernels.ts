// WGSL sources of the WebGPU SAE kernels (webgpu.ts), as specs from which the full shader and its
// bind-group layout are generated, so bindings and parameters cannot drift apart.
//
// Every shader gets: binding 0 = a uniform `P` of the listed parameters (u32 or f32, in order),
// bindings 1.. = the listed storage buffers, and `main` with `wg` (the linear workgroup index; the
// host spreads large dispatches over x and y) and `lid` (the local invocation index). Workgroups
// have at most 256 invocations (SwiftShader's and the default limit).

export type ParamType = 'u32' | 'f32'
export type Access = 'read' | 'read_write'

export interface KernelSpec {
  label: string
  workgroupSize: number
  params: [string, ParamType][]
  bindings: [name: string, type: string, access: Access][]
  /** Module-scope declarations (workgroup variables, helper functions). */
  module?: string
  body: string
}

export function kernelSource(spec: KernelSpec): string {
  const params = spec.params.map(([n, t]) => `  ${n}: ${t},`).join('\n')
  const bindings = spec.bindings
    .map(([name, type, access], i) => `@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: ${type};`)
    .join('\n')
  return `struct Params {
${params}
}
@group(0) @binding(0) var<uniform> P: Params;
${bindings}
${spec.module ?? ''}
@compute @workgroup_size(${spec.workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x;
${spec.body}
}
`
}

const F = 'array<f32>'
const I = 'array<i32>'
const U = 'array<u32>'
const EW = 256 // elementwise workgroup size
const ROW = 64 // per-row reduction workgroup size
const TOPK = 64 // top-k workgroup size (one row each)

// SwiftShader runs a workgroup's invocations as coroutines, so each barrier costs about as much as
// a pass over the workgroup; reductions therefore end with one barrier and a short serial sum
// rather than a log-depth tree.

/** red[ROW] = Σ over the workgroup of each invocation's `v` (valid after the second barrier). */
const sumRow = (v: string) => `
  red[lid] = ${v};
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var j = 0u; j < ${ROW}u; j = j + 1u) { total = total + red[j]; }
    red[${ROW}] = total;
  }
  workgroupBarrier();`
const RED = `var<workgroup> red: array<f32, ${ROW + 1}>;`

export const center: KernelSpec = {
  label: 'center',
  workgroupSize: EW,
  params: [['n', 'u32'], ['dIn', 'u32']],
  bindings: [['x', F, 'read'], ['bDec', F, 'read'], ['xc', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  xc[g] = x[g] - bDec[g % P.dIn];`,
}

export const relu: KernelSpec = {
  label: 'relu',
  workgroupSize: EW,
  params: [['n', 'u32']],
  bindings: [['pre', F, 'read'], ['val', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  val[g] = max(pre[g], 0.0);`,
}

export const fill: KernelSpec = {
  label: 'fill',
  workgroupSize: EW,
  params: [['n', 'u32'], ['value', 'f32']],
  bindings: [['dst', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  dst[g] = P.value;`,
}

/** dst[i] += sign · src[i] */
export const addInto: KernelSpec = {
  label: 'addInto',
  workgroupSize: EW,
  params: [['n', 'u32'], ['sign', 'f32']],
  bindings: [['src', F, 'read'], ['dst', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  dst[g] = dst[g] + P.sign * src[g];`,
}

/**
 * torch.optim.Adam; stepSize = lr / (1 − β1^t) and invSqrtBc2 = 1 / sqrt(1 − β2^t) come from the
 * host. Each invocation updates four values a quarter of the array apart (coalesced on GPUs, and
 * a quarter of the invocations, which is what SwiftShader pays for).
 */
export const adam: KernelSpec = {
  label: 'adam',
  workgroupSize: EW,
  params: [
    ['n', 'u32'],
    ['b1', 'f32'],
    ['b2', 'f32'],
    ['c1', 'f32'],
    ['c2', 'f32'],
    ['stepSize', 'f32'],
    ['invSqrtBc2', 'f32'],
    ['eps', 'f32'],
    ['gradScale', 'f32'],
  ],
  bindings: [['param', F, 'read_write'], ['grad', F, 'read'], ['m', F, 'read_write'], ['v', F, 'read_write']],
  body: `
  let quarter = (P.n + 3u) / 4u;
  let first = wg * ${EW}u + lid;
  if (first >= quarter) { return; }
  for (var i = first; i < P.n; i = i + quarter) {
    let g = grad[i] * P.gradScale;
    let mi = P.b1 * m[i] + P.c1 * g;
    let vi = P.b2 * v[i] + P.c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] - (P.stepSize * mi) / (sqrt(vi) * P.invSqrtBc2 + P.eps);
  }`,
}

/**
 * C[m, n] = A[m, k] · B[n, k]ᵀ (+ bias[n]): 64 invocations per 32×32 output tile, each a 4×4
 * register block read straight from global memory (on SwiftShader this beats shared-memory tiling
 * by ~10×). `vec4` reads A and B four values at a time and needs k % 4 = 0.
 */
export function matmulNT(vec4: boolean): KernelSpec {
  const T = vec4 ? 'array<vec4<f32>>' : F
  const loop = vec4
    ? `
  for (var q = 0u; q < P.kk; q = q + 1u) {
    let a0 = A[ra0 + q]; let a1 = A[ra1 + q]; let a2 = A[ra2 + q]; let a3 = A[ra3 + q];
    let b0 = B[cb0 + q]; let b1 = B[cb1 + q]; let b2 = B[cb2 + q]; let b3 = B[cb3 + q];
    acc0 = acc0 + vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
    acc1 = acc1 + vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
    acc2 = acc2 + vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
    acc3 = acc3 + vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
  }`
    : `
  for (var q = 0u; q < P.kk; q = q + 1u) {
    let b = vec4<f32>(B[cb0 + q], B[cb1 + q], B[cb2 + q], B[cb3 + q]);
    acc0 = acc0 + A[ra0 + q] * b;
    acc1 = acc1 + A[ra1 + q] * b;
    acc2 = acc2 + A[ra2 + q] * b;
    acc3 = acc3 + A[ra3 + q] * b;
  }`
  return {
    label: vec4 ? 'matmulNT4' : 'matmulNT1',
    workgroupSize: 64,
    // kk: k in units of the element type (k / 4 for vec4)
    params: [['m', 'u32'], ['n', 'u32'], ['kk', 'u32'], ['hasBias', 'u32']],
    bindings: [['A', T, 'read'], ['B', T, 'read'], ['bias', F, 'read'], ['C', F, 'read_write']],
    module: `
fn store(r: u32, c: u32, v: vec4<f32>) {
  if (r >= P.m) { return; }
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (c + j < P.n) {
      var b = 0.0;
      if (P.hasBias != 0u) { b = bias[c + j]; }
      C[r * P.n + c + j] = v[j] + b;
    }
  }
}`,
    body: `
  let tilesN = (P.n + 31u) / 32u;
  let tilesM = (P.m + 31u) / 32u;
  if (wg >= tilesM * tilesN) { return; }
  let tm = wg / tilesN;
  let tn = wg - tm * tilesN;
  let r0 = tm * 32u + (lid / 8u) * 4u;
  let c0 = tn * 32u + (lid % 8u) * 4u;
  // out-of-range rows/columns read a valid row and are not stored
  let ra0 = min(r0, P.m - 1u) * P.kk;
  let ra1 = min(r0 + 1u, P.m - 1u) * P.kk;
  let ra2 = min(r0 + 2u, P.m - 1u) * P.kk;
  let ra3 = min(r0 + 3u, P.m - 1u) * P.kk;
  let cb0 = min(c0, P.n - 1u) * P.kk;
  let cb1 = min(c0 + 1u, P.n - 1u) * P.kk;
  let cb2 = min(c0 + 2u, P.n - 1u) * P.kk;
  let cb3 = min(c0 + 3u, P.n - 1u) * P.kk;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
${loop}
  store(r0, c0, acc0);
  store(r0 + 1u, c0, acc1);
  store(r0 + 2u, c0, acc2);
  store(r0 + 3u, c0, acc3);`,
  }
}

export const matmulNT4 = matmulNT(true)
export const matmulNT1 = matmulNT(false)

/**
 * Exact per-row top-k, one workgroup of 64 per row. Values map to order-preserving u32 keys; a
 * 4-pass radix select (8 bits per pass, histogram in workgroup memory) finds the k-th largest key
 * T and how many entries equal to T are needed; then each invocation writes the entries of its
 * contiguous chunk of the row that are above T, or equal to T and among the lowest-indexed ties,
 * in index order. So ties go to the lower index, as on the CPU, and the output is sorted by latent.
 * mode 0: TopK with val = max(pre, 0); mode 1: AuxK over latents with dead ≠ 0, val = pre (a
 * non-dead latent gets key 0, below every real value, and is only picked, with val 0, when fewer
 * than k latents are dead).
 */
export const topK: KernelSpec = {
  label: 'topK',
  workgroupSize: TOPK,
  params: [['rows', 'u32'], ['dSae', 'u32'], ['k', 'u32'], ['mode', 'u32']],
  bindings: [['pre', F, 'read'], ['dead', F, 'read'], ['idx', I, 'read_write'], ['val', F, 'read_write']],
  module: `
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> above: array<u32, ${TOPK}>;
var<workgroup> ties: array<u32, ${TOPK}>;
var<workgroup> pick: u32;

fn keyAt(base: u32, i: u32) -> u32 {
  if (P.mode == 1u && dead[i] == 0.0) { return 0u; }
  var u = bitcast<u32>(pre[base + i]);
  if (u == 0x80000000u) { u = 0u; } // −0 ties with +0
  if ((u & 0x80000000u) != 0u) { return ~u; }
  return u | 0x80000000u;
}`,
  body: `
  let row = wg;
  if (row >= P.rows) { return; }
  let S = P.dSae;
  let base = row * S;
  var prefix = 0u;
  var mask = 0u;
  var rem = P.k;
  for (var round = 0u; round < 4u; round = round + 1u) {
    let shift = 24u - 8u * round;
    for (var b = lid; b < 256u; b = b + ${TOPK}u) { atomicStore(&hist[b], 0u); }
    workgroupBarrier();
    for (var i = lid; i < S; i = i + ${TOPK}u) {
      let key = keyAt(base, i);
      if ((key & mask) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid == 0u) {
      // the bin holding the rem-th largest key, counting down from the top bin
      var cum = 0u;
      var bin = 255u;
      loop {
        let h = atomicLoad(&hist[bin]);
        if (cum + h >= rem || bin == 0u) { break; }
        cum = cum + h;
        bin = bin - 1u;
      }
      pick = bin | ((rem - cum) << 8u);
    }
    let picked = workgroupUniformLoad(&pick);
    rem = picked >> 8u;
    prefix = prefix | ((picked & 255u) << shift);
    mask = mask | (255u << shift);
  }
  let T = prefix;
  let need = rem;
  let chunk = (S + ${TOPK - 1}u) / ${TOPK}u;
  let start = min(lid * chunk, S);
  let end = min(start + chunk, S);
  var gt = 0u;
  var eq = 0u;
  for (var i = start; i < end; i = i + 1u) {
    let key = keyAt(base, i);
    gt = gt + select(0u, 1u, key > T);
    eq = eq + select(0u, 1u, key == T);
  }
  above[lid] = gt;
  ties[lid] = eq;
  workgroupBarrier();
  if (lid == 0u) {
    var a = 0u;
    var e = 0u;
    for (var j = 0u; j < ${TOPK}u; j = j + 1u) {
      let aj = above[j];
      let ej = ties[j];
      above[j] = a;
      ties[j] = e;
      a = a + aj;
      e = e + ej;
    }
  }
  workgroupBarrier();
  var tie = ties[lid];
  var o = row * P.k + above[lid] + min(tie, need);
  for (var i = start; i < end; i = i + 1u) {
    let key = keyAt(base, i);
    var take = key > T;
    if (key == T) {
      take = tie < need;
      tie = tie + 1u;
    }
    if (take) {
      let v = pre[base + i];
      idx[o] = i32(i);
      if (P.mode == 0u) { val[o] = max(v, 0.0); } else { val[o] = select(0.0, v, key != 0u); }
      o = o + 1u;
    }
  }`,
}

/**
 * out[t, d] = Σ_j val[t, j] · dec[idx[t, j], d] (+ bDec[d]); one invocation per output value, or
 * per four (vec4) when d_in % 4 = 0.
 */
export function decodeKernel(vec4: boolean): KernelSpec {
  const T = vec4 ? 'array<vec4<f32>>' : F
  const zero = vec4 ? 'vec4<f32>(0.0)' : '0.0'
  return {
    label: vec4 ? 'decode4' : 'decode1',
    workgroupSize: EW,
    // cols: d_in in units of the element type
    params: [['rows', 'u32'], ['cols', 'u32'], ['width', 'u32'], ['hasIdx', 'u32'], ['hasBias', 'u32']],
    bindings: [['idx', I, 'read'], ['val', F, 'read'], ['dec', T, 'read'], ['bDec', T, 'read'], ['out', T, 'read_write']],
    body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.rows * P.cols) { return; }
  let t = g / P.cols;
  let d = g - t * P.cols;
  var s = ${zero};
  if (P.hasBias != 0u) { s = bDec[d]; }
  for (var j = 0u; j < P.width; j = j + 1u) {
    let v = val[t * P.width + j];
    if (v != 0.0) {
      var i = j;
      if (P.hasIdx != 0u) { i = u32(idx[t * P.width + j]); }
      s = s + v * dec[i * P.cols + d];
    }
  }
  out[g] = s;`,
  }
}

export const decode4 = decodeKernel(true)
export const decode1 = decodeKernel(false)

/** diff = a − b (+ c); out = coef · diff; rowSq[t] = Σ_d diff²; one workgroup per row. */
export const errorGrad: KernelSpec = {
  label: 'errorGrad',
  workgroupSize: ROW,
  params: [['rows', 'u32'], ['dIn', 'u32'], ['coef', 'f32'], ['hasC', 'u32'], ['hasRowSq', 'u32']],
  bindings: [['a', F, 'read'], ['b', F, 'read'], ['c', F, 'read'], ['out', F, 'read_write'], ['rowSq', F, 'read_write']],
  module: RED,
  body: `
  let t = wg;
  if (t >= P.rows) { return; }
  var sq = 0.0;
  for (var d = lid; d < P.dIn; d = d + ${ROW}u) {
    let o = t * P.dIn + d;
    var diff = a[o] - b[o];
    if (P.hasC != 0u) { diff = diff + c[o]; }
    out[o] = P.coef * diff;
    sq = sq + diff * diff;
  }
  red[lid] = sq;
  workgroupBarrier();
  if (lid == 0u && P.hasRowSq != 0u) {
    var total = 0.0;
    for (var j = 0u; j < ${ROW}u; j = j + 1u) { total = total + red[j]; }
    rowSq[t] = total;
  }`,
}

// Latent-major lists of a sparse code, built deterministically (entries of a latent in token
// order): scatter marks M[t, i] = j + 1, count and fill walk each latent's column of M (reading
// M coalesced across latents), and fill clears M again so it never needs a separate clear.

export const cscScatter: KernelSpec = {
  label: 'cscScatter',
  workgroupSize: EW,
  params: [['n', 'u32'], ['width', 'u32'], ['dSae', 'u32']],
  bindings: [['idx', I, 'read'], ['M', U, 'read_write']],
  body: `
  let p = wg * ${EW}u + lid;
  if (p >= P.n) { return; }
  let t = p / P.width;
  M[t * P.dSae + u32(idx[p])] = p - t * P.width + 1u;`,
}

export const cscCount: KernelSpec = {
  label: 'cscCount',
  workgroupSize: EW,
  params: [['rows', 'u32'], ['dSae', 'u32']],
  bindings: [['M', U, 'read'], ['counts', U, 'read_write']],
  body: `
  let i = wg * ${EW}u + lid;
  if (i >= P.dSae) { return; }
  var c = 0u;
  for (var t = 0u; t < P.rows; t = t + 1u) { c = c + select(0u, 1u, M[t * P.dSae + i] != 0u); }
  counts[i] = c;`,
}

/** Exclusive prefix sums offsets[0..n] of counts[0..n) in one workgroup (offsets[n] = total). */
export const scanOffsets: KernelSpec = {
  label: 'scanOffsets',
  workgroupSize: 256,
  params: [['n', 'u32']],
  bindings: [['counts', U, 'read'], ['offsets', U, 'read_write']],
  module: 'var<workgroup> sc: array<u32, 257>;',
  body: `
  let chunk = (P.n + 255u) / 256u;
  let start = min(lid * chunk, P.n);
  let end = min(start + chunk, P.n);
  var s = 0u;
  for (var i = start; i < end; i = i + 1u) { s = s + counts[i]; }
  sc[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var acc = 0u;
    for (var j = 0u; j < 256u; j = j + 1u) {
      let v = sc[j];
      sc[j] = acc;
      acc = acc + v;
    }
    sc[256] = acc;
  }
  workgroupBarrier();
  var acc = sc[lid];
  for (var i = start; i < end; i = i + 1u) {
    offsets[i] = acc;
    acc = acc + counts[i];
  }
  if (lid == 0u) { offsets[P.n] = sc[256]; }`,
}

export const cscFill: KernelSpec = {
  label: 'cscFill',
  workgroupSize: EW,
  params: [['rows', 'u32'], ['dSae', 'u32'], ['width', 'u32']],
  bindings: [['M', U, 'read_write'], ['offsets', U, 'read'], ['tokens', U, 'read_write'], ['slots', U, 'read_write']],
  body: `
  let i = wg * ${EW}u + lid;
  if (i >= P.dSae) { return; }
  var pos = offsets[i];
  for (var t = 0u; t < P.rows; t = t + 1u) {
    let m = M[t * P.dSae + i];
    if (m != 0u) {
      tokens[pos] = t;
      slots[pos] = t * P.width + m - 1u;
      pos = pos + 1u;
      M[t * P.dSae + i] = 0u;
    }
  }`,
}

/** How a latent-major kernel walks latent i's entries: the lists, or every token of a dense code. */
const entries = `
  var start = 0u;
  var count = P.rows;
  if (P.dense == 0u) {
    start = offsets[i];
    count = offsets[i + 1u] - start;
  }`
const entry = `
    var t = e;
    var slot = e * P.width + i;
    if (P.dense == 0u) {
      t = tokens[start + e];
      slot = slots[start + e];
    }`

/**
 * Weight-row gradients out[i, d] += Σ_(t, slot) coef[slot] · src[t, d] over latent i's entries
 * (decode backward: coef = val, src = err; encode backward: coef = gPre, src = xc), and with
 * writeGs gs[i] = Σ coef. One workgroup per latent (latents without entries return at once),
 * columns four at a time (vec4) when d_in % 4 = 0.
 */
export function gradRowsKernel(vec4: boolean): KernelSpec {
  const T = vec4 ? 'array<vec4<f32>>' : F
  const zero = vec4 ? 'vec4<f32>(0.0)' : '0.0'
  return {
    label: vec4 ? 'gradRows4' : 'gradRows1',
    workgroupSize: ROW,
    // cols: d_in in units of the element type
    params: [['rows', 'u32'], ['cols', 'u32'], ['dSae', 'u32'], ['width', 'u32'], ['dense', 'u32'], ['writeGs', 'u32']],
    bindings: [
      ['coef', F, 'read'],
      ['src', T, 'read'],
      ['tokens', U, 'read'],
      ['slots', U, 'read'],
      ['offsets', U, 'read'],
      ['out', T, 'read_write'],
      ['gs', F, 'read_write'],
    ],
    body: `
  let i = wg;
  if (i >= P.dSae) { return; }
${entries}
  if (P.writeGs != 0u && lid == 0u) {
    var cs = 0.0;
    for (var e = 0u; e < count; e = e + 1u) {
${entry}
      cs = cs + coef[slot];
    }
    gs[i] = cs;
  }
  if (count == 0u) { return; }
  for (var d = lid; d < P.cols; d = d + ${ROW}u) {
    var acc = ${zero};
    for (var e = 0u; e < count; e = e + 1u) {
${entry}
      let c = coef[slot];
      if (c != 0.0) { acc = acc + c * src[t * P.cols + d]; }
    }
    out[i * P.cols + d] = out[i * P.cols + d] + acc;
  }`,
  }
}

export const gradRows4 = gradRowsKernel(true)
export const gradRows1 = gradRowsKernel(false)

/** gVal[t, j] = dec[idx[t, j]] · err[t], 0 where gated and val ≤ 0; one invocation per entry. */
export function slotDotsKernel(vec4: boolean): KernelSpec {
  const T = vec4 ? 'array<vec4<f32>>' : F
  return {
    label: vec4 ? 'slotDots4' : 'slotDots1',
    workgroupSize: EW,
    params: [['rows', 'u32'], ['cols', 'u32'], ['width', 'u32'], ['gate', 'u32']],
    bindings: [['idx', I, 'read'], ['val', F, 'read'], ['err', T, 'read'], ['dec', T, 'read'], ['gVal', F, 'read_write']],
    body: `
  let p = wg * ${EW}u + lid;
  if (p >= P.rows * P.width) { return; }
  if (P.gate != 0u && val[p] <= 0.0) {
    gVal[p] = 0.0;
    return;
  }
  let t = p / P.width;
  let w = u32(idx[p]) * P.cols;
  let e = t * P.cols;
  var s = 0.0;
  for (var d = 0u; d < P.cols; d = d + 1u) { s = s + ${vec4 ? 'dot(dec[w + d], err[e + d])' : 'dec[w + d] * err[e + d]'}; }
  gVal[p] = s;`,
  }
}

export const slotDots4 = slotDotsKernel(true)
export const slotDots1 = slotDotsKernel(false)

/** gVal = 0 where val ≤ 0 (the ReLU gate after a dense err · decoderᵀ product). */
export const gate: KernelSpec = {
  label: 'gate',
  workgroupSize: EW,
  params: [['n', 'u32']],
  bindings: [['val', F, 'read'], ['gVal', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  if (val[g] <= 0.0) { gVal[g] = 0.0; }`,
}

/** Per latent over its entries: mode 0 counts val ≠ 0, mode 1 sums val. */
export const latentSums: KernelSpec = {
  label: 'latentSums',
  workgroupSize: EW,
  params: [['rows', 'u32'], ['dSae', 'u32'], ['width', 'u32'], ['dense', 'u32'], ['mode', 'u32']],
  bindings: [['val', F, 'read'], ['tokens', U, 'read'], ['slots', U, 'read'], ['offsets', U, 'read'], ['out', F, 'read_write']],
  body: `
  let i = wg * ${EW}u + lid;
  if (i >= P.dSae) { return; }
${entries}
  var s = 0.0;
  for (var e = 0u; e < count; e = e + 1u) {
${entry}
    let v = val[slot];
    if (P.mode == 0u) { s = s + select(0.0, 1.0, v != 0.0); } else { s = s + v; }
  }
  out[i] = s;`,
}

/**
 * Column sums in two passes for a deterministic order: partial[c, d] = Σ_(r in chunk c) w[r]·m[r, d]
 * (w = 1 without hasW), then out[d] += sign · Σ_c partial[c, d].
 */
export const colPartials: KernelSpec = {
  label: 'colPartials',
  workgroupSize: ROW,
  params: [['rows', 'u32'], ['cols', 'u32'], ['chunk', 'u32'], ['hasW', 'u32']],
  bindings: [['m', F, 'read'], ['w', F, 'read'], ['partial', F, 'read_write']],
  body: `
  let blocks = (P.cols + ${ROW - 1}u) / ${ROW}u;
  let c = wg / blocks;
  let d = (wg - c * blocks) * ${ROW}u + lid;
  let r0 = c * P.chunk;
  if (r0 >= P.rows || d >= P.cols) { return; }
  let r1 = min(P.rows, r0 + P.chunk);
  var s = 0.0;
  for (var r = r0; r < r1; r = r + 1u) {
    var wr = 1.0;
    if (P.hasW != 0u) { wr = w[r]; }
    s = s + wr * m[r * P.cols + d];
  }
  partial[c * P.cols + d] = s;`,
}

export const colFinish: KernelSpec = {
  label: 'colFinish',
  workgroupSize: EW,
  params: [['cols', 'u32'], ['chunks', 'u32'], ['sign', 'f32']],
  bindings: [['partial', F, 'read'], ['out', F, 'read_write']],
  body: `
  let d = wg * ${EW}u + lid;
  if (d >= P.cols) { return; }
  var s = 0.0;
  for (var c = 0u; c < P.chunks; c = c + 1u) { s = s + partial[c * P.cols + d]; }
  out[d] = out[d] + P.sign * s;`,
}

/** partial[wg] = Σ buf[i]² over a grid-stride share of the values; `groups` workgroups run. */
export const sumSqPartial: KernelSpec = {
  label: 'sumSqPartial',
  workgroupSize: ROW,
  params: [['n', 'u32'], ['groups', 'u32']],
  bindings: [['buf', F, 'read'], ['partial', F, 'read_write']],
  module: RED,
  body: `
  if (wg >= P.groups) { return; }
  var s = 0.0;
  for (var i = wg * ${ROW}u + lid; i < P.n; i = i + P.groups * ${ROW}u) { let v = buf[i]; s = s + v * v; }
${sumRow('s')}
  if (lid == 0u) { partial[wg] = red[${ROW}]; }`,
}

export const sumFinal: KernelSpec = {
  label: 'sumFinal',
  workgroupSize: ROW,
  params: [['n', 'u32']],
  bindings: [['partial', F, 'read'], ['result', F, 'read_write']],
  module: RED,
  body: `
  var s = 0.0;
  for (var i = lid; i < P.n; i = i + ${ROW}u) { s = s + partial[i]; }
${sumRow('s')}
  if (lid == 0u) { result[0] = red[${ROW}]; }`,
}

/** g[r] −= (g[r]·w[r] / w[r]·w[r]) · w[r]; one workgroup per row. */
export const projectRows: KernelSpec = {
  label: 'projectRows',
  workgroupSize: ROW,
  params: [['rows', 'u32'], ['cols', 'u32']],
  bindings: [['w', F, 'read'], ['g', F, 'read_write']],
  module: `
var<workgroup> redGw: array<f32, ${ROW}>;
var<workgroup> redWw: array<f32, ${ROW}>;
var<workgroup> factor: f32;`,
  body: `
  let r = wg;
  if (r >= P.rows) { return; }
  let o = r * P.cols;
  var gw = 0.0;
  var ww = 0.0;
  for (var c = lid; c < P.cols; c = c + ${ROW}u) {
    gw = gw + g[o + c] * w[o + c];
    ww = ww + w[o + c] * w[o + c];
  }
  redGw[lid] = gw;
  redWw[lid] = ww;
  workgroupBarrier();
  if (lid == 0u) {
    var a = 0.0;
    var b = 0.0;
    for (var j = 0u; j < ${ROW}u; j = j + 1u) {
      a = a + redGw[j];
      b = b + redWw[j];
    }
    factor = select(a / b, 0.0, b == 0.0);
  }
  let f = workgroupUniformLoad(&factor);
  if (f == 0.0) { return; }
  for (var c = lid; c < P.cols; c = c + ${ROW}u) { g[o + c] = g[o + c] - f * w[o + c]; }`,
}

export const normalizeRows: KernelSpec = {
  label: 'normalizeRows',
  workgroupSize: ROW,
  params: [['rows', 'u32'], ['cols', 'u32']],
  bindings: [['w', F, 'read_write']],
  module: RED,
  body: `
  let r = wg;
  if (r >= P.rows) { return; }
  let o = r * P.cols;
  var ss = 0.0;
  for (var c = lid; c < P.cols; c = c + ${ROW}u) { ss = ss + w[o + c] * w[o + c]; }
${sumRow('ss')}
  let total = red[${ROW}];
  if (total == 0.0) { return; }
  let inv = 1.0 / sqrt(total);
  for (var c = lid; c < P.cols; c = c + ${ROW}u) { w[o + c] = w[o + c] * inv; }`,
}

/** norms[i] = ‖dec[i]‖; one workgroup per row. */
export const rowNorms: KernelSpec = {
  label: 'rowNorms',
  workgroupSize: ROW,
  params: [['rows', 'u32'], ['cols', 'u32']],
  bindings: [['w', F, 'read'], ['norms', F, 'read_write']],
  module: RED,
  body: `
  let r = wg;
  if (r >= P.rows) { return; }
  var ss = 0.0;
  for (var c = lid; c < P.cols; c = c + ${ROW}u) { let v = w[r * P.cols + c]; ss = ss + v * v; }
${sumRow('ss')}
  if (lid == 0u) { norms[r] = sqrt(red[${ROW}]); }`,
}

/** Per token: rowL1[t] = Σ_j val·‖dec[i]‖; gVal[t, j] += coef·‖dec[i]‖ where val > 0. */
export const l1Tokens: KernelSpec = {
  label: 'l1Tokens',
  workgroupSize: EW,
  params: [['rows', 'u32'], ['width', 'u32'], ['hasIdx', 'u32'], ['coef', 'f32']],
  bindings: [['idx', I, 'read'], ['val', F, 'read'], ['norms', F, 'read'], ['gVal', F, 'read_write'], ['rowL1', F, 'read_write']],
  body: `
  let t = wg * ${EW}u + lid;
  if (t >= P.rows) { return; }
  var s = 0.0;
  for (var j = 0u; j < P.width; j = j + 1u) {
    let p = t * P.width + j;
    let v = val[p];
    if (v != 0.0) {
      var i = j;
      if (P.hasIdx != 0u) { i = u32(idx[p]); }
      s = s + v * norms[i];
      if (v > 0.0) { gVal[p] = gVal[p] + P.coef * norms[i]; }
    }
  }
  rowL1[t] = s;`,
}

/** gDec[i, d] += coef · zs[i] / ‖dec[i]‖ · dec[i, d]. */
export const l1Decoder: KernelSpec = {
  label: 'l1Decoder',
  workgroupSize: EW,
  params: [['n', 'u32'], ['dIn', 'u32'], ['coef', 'f32']],
  bindings: [['dec', F, 'read'], ['norms', F, 'read'], ['zs', F, 'read'], ['gDec', F, 'read_write']],
  body: `
  let g = wg * ${EW}u + lid;
  if (g >= P.n) { return; }
  let i = g / P.dIn;
  let z = zs[i];
  let nrm = norms[i];
  if (z == 0.0 || nrm == 0.0) { return; }
  gDec[g] = gDec[g] + (P.coef * z / nrm) * dec[g];`,
}
