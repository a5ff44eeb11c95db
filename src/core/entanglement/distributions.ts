// Student-t and normal distributions for the regression's p-values and confidence intervals:
// log-gamma (Lanczos), the regularised incomplete beta and gamma functions (continued fractions,
// Numerical Recipes §6.2/§6.4), and quantiles by safeguarded Newton iteration. Float64 throughout;
// accurate to ~1e-13 relative in the range the lab uses (df ≥ 1, p in [1e-12, 1 − 1e-12]).

const LANCZOS_G = 7
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** ln Γ(x) for x > 0 (reflection below 0.5). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma: expected x > 0, got ${x}`)
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]
  const t = z + LANCZOS_G + 0.5
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

const TINY = 1e-300
const EPS = 1e-16

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  const maxIter = 10000 + Math.ceil(10 * Math.sqrt(Math.max(a, b)))
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) return h
  }
  throw new Error(`incomplete beta: no convergence for a=${a}, b=${b}, x=${x}`)
}

/**
 * Regularised incomplete beta I_x(a, b). `xc` is 1 − x when the caller can compute it without
 * cancellation (e.g. t²/(ν + t²) for the t distribution).
 */
export function regularizedBeta(x: number, a: number, b: number, xc = 1 - x): number {
  if (!(a > 0 && b > 0)) throw new Error(`regularizedBeta: expected a, b > 0, got a=${a}, b=${b}`)
  if (!(x >= 0 && x <= 1)) throw new Error(`regularizedBeta: expected x in [0, 1], got ${x}`)
  if (x === 0) return 0
  if (xc === 0) return 1
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(xc)
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(xc, b, a)) / b
}

/** Regularised upper incomplete gamma Q(a, x). */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new Error(`regularizedGammaQ: expected a > 0, got ${a}`)
  if (!(x >= 0)) throw new Error(`regularizedGammaQ: expected x ≥ 0, got ${x}`)
  if (x === 0) return 1
  const lnFront = -x + a * Math.log(x) - logGamma(a)
  if (x < a + 1) {
    // Series for P(a, x).
    let ap = a
    let sum = 1 / a
    let del = sum
    for (let n = 0; n < 100000; n++) {
      ap += 1
      del *= x / ap
      sum += del
      if (Math.abs(del) < Math.abs(sum) * EPS) return 1 - sum * Math.exp(lnFront)
    }
    throw new Error(`regularizedGammaQ: series did not converge for a=${a}, x=${x}`)
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) return Math.exp(lnFront) * h
  }
  throw new Error(`regularizedGammaQ: continued fraction did not converge for a=${a}, x=${x}`)
}

/** Complementary error function erfc(x) = Q(1/2, x²) for x ≥ 0. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (x < 0) return 2 - erfc(-x)
  return regularizedGammaQ(0.5, x * x)
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN
  return x < 0 ? 0.5 * erfc(-x / Math.SQRT2) : 1 - 0.5 * erfc(x / Math.SQRT2)
}

const ACKLAM_A = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239]
const ACKLAM_B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
const ACKLAM_C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
const ACKLAM_D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]

/** Standard normal quantile Φ⁻¹(p): Acklam's rational approximation refined by one Halley step. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`normalQuantile: expected p in [0, 1], got ${p}`)
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  if (p > 0.5) return -normalQuantile(1 - p)
  const pLow = 0.02425
  let x: number
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p))
    x =
      (((((ACKLAM_C[0] * q + ACKLAM_C[1]) * q + ACKLAM_C[2]) * q + ACKLAM_C[3]) * q + ACKLAM_C[4]) * q + ACKLAM_C[5]) /
      ((((ACKLAM_D[0] * q + ACKLAM_D[1]) * q + ACKLAM_D[2]) * q + ACKLAM_D[3]) * q + 1)
  } else {
    const q = p - 0.5
    const r = q * q
    x =
      ((((((ACKLAM_A[0] * r + ACKLAM_A[1]) * r + ACKLAM_A[2]) * r + ACKLAM_A[3]) * r + ACKLAM_A[4]) * r + ACKLAM_A[5]) * q) /
      (((((ACKLAM_B[0] * r + ACKLAM_B[1]) * r + ACKLAM_B[2]) * r + ACKLAM_B[3]) * r + ACKLAM_B[4]) * r + 1)
  }
  for (let i = 0; i < 2; i++) {
    const e = normalCdf(x) - p
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2)
    x = x - u / (1 + (x * u) / 2)
  }
  return x
}

function assertDf(df: number, where: string) {
  if (!(df > 0)) throw new Error(`${where}: degrees of freedom must be > 0, got ${df}`)
}

/** Beyond this many degrees of freedom the t distribution is the normal to double precision. */
const NORMAL_DF = 1e12

/** P(T ≤ −|t|) for T ~ t(df): one tail, computed without cancellation. */
function tLowerTail(absT: number, df: number): number {
  if (absT === Infinity) return 0
  const t2 = absT * absT
  return 0.5 * regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2))
}

/** Student-t CDF P(T ≤ t). */
export function tCdf(t: number, df: number): number {
  assertDf(df, 'tCdf')
  if (Number.isNaN(t)) return NaN
  if (df >= NORMAL_DF) return normalCdf(t)
  const tail = tLowerTail(Math.abs(t), df)
  return t < 0 ? tail : 1 - tail
}

/** Two-sided p-value P(|T| ≥ |t|). */
export function tTwoSidedP(t: number, df: number): number {
  assertDf(df, 'tTwoSidedP')
  if (Number.isNaN(t)) return NaN
  if (df >= NORMAL_DF) return erfc(Math.abs(t) / Math.SQRT2)
  return Math.min(1, 2 * tLowerTail(Math.abs(t), df))
}

/** Student-t density. */
export function tPdf(t: number, df: number): number {
  assertDf(df, 'tPdf')
  const lnC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI)
  return Math.exp(lnC - ((df + 1) / 2) * Math.log1p((t * t) / df))
}

/**
 * Student-t quantile: the t with P(T ≤ t) = p. Solves the one-tail equation for the smaller tail
 * (so p near 1 keeps its precision) by Newton steps kept inside a bracket, bisecting when a step
 * leaves it.
 */
export function tQuantile(p: number, df: number): number {
  assertDf(df, 'tQuantile')
  if (!(p >= 0 && p <= 1)) throw new Error(`tQuantile: expected p in [0, 1], got ${p}`)
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  if (p === 0.5) return 0
  if (df >= NORMAL_DF) return normalQuantile(p)
  const q = Math.min(p, 1 - p)
  const sign = p < 0.5 ? -1 : 1
  // Start from the normal quantile with the first Cornish–Fisher terms (Hill 1970).
  const z = -normalQuantile(q)
  let t = z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df)
  if (!(t > 0) || !Number.isFinite(t)) t = z > 0 ? z : 1
  let lo = 0
  let hi = t
  while (tLowerTail(hi, df) > q) {
    lo = hi
    hi *= 2
    if (hi > 1e300) return sign * Infinity
  }
  for (let iter = 0; iter < 200; iter++) {
    const f = tLowerTail(t, df) - q
    if (f === 0) break
    if (f > 0) lo = t
    else hi = t
    // d/dt of the lower tail at −t is −pdf(t).
    let next = t + f / tPdf(t, df)
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi)
    const converged = Math.abs(next - t) <= 1e-15 * Math.max(1, t)
    t = next
    if (converged || hi - lo <= 1e-15 * hi) break
  }
  return sign * t
}
