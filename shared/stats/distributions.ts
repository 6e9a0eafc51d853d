/**
 * Normal and Student-t distribution functions in double precision, written for this
 * project (no dependencies). Everything that feeds a threshold or a t→z map is computed
 * so that tail probabilities far below 1e-300 stay meaningful (log space).
 *
 * Algorithms:
 * - Normal CDF / tail: W. J. Cody (1969), "Rational Chebyshev approximations for the error
 *   function", Math. Comp. 23, 631–637, in the normal-scaled form of Cody's SPECFUN
 *   (ACM TOMS Algorithm 715, 1993). Near-minimax rational functions, ~1e-16 relative;
 *   the exp(-z²/2) factor is split (z = zs + δ, zs a multiple of 1/16) to avoid
 *   cancellation, and the upper tail is also given directly in log form for any z.
 * - Normal quantile: M. J. Wichura (1988), Algorithm AS 241 (PPND16), Appl. Statist. 37,
 *   477–484 (~1e-16 relative). Beyond its fitted range (−log p > 729) the tail quantile is
 *   refined by Newton steps on log(1 − Φ(z)).
 * - log Γ: Lanczos approximation (g = 7, 9 terms); log B(a, b) uses Stirling's series for
 *   large arguments to avoid cancellation (as R's lbeta does).
 * - Regularised incomplete beta: continued fraction evaluated by the modified Lentz method
 *   (Press et al., Numerical Recipes §6.4), with the prefactor taken in log space.
 * - Student t: tail = ½·I_{ν/(ν+t²)}(ν/2, ½); the complementary central probability
 *   ½·I_{t²/(ν+t²)}(½, ν/2) is computed directly for small |t| so neither is formed by
 *   subtraction when it matters.
 *
 * Accuracy (checked against mpmath at 50 digits): normal tail, log tail and quantile ~1e-16
 * relative; log P(T > t) and t→z ~1e-14 relative or better for df ≤ 1000 (P itself, when taken
 * from its log far out, carries |log P|·1e-16). For large df the continued fraction near
 * x ≈ 1 loses about 1e-16·df/t² relative (≈1e-12 at df = 1e5, t = 2).
 */

const LN_SQRT_2PI = 0.918938533204672741780329736406; // log(sqrt(2π))
const INV_SQRT_2PI = 0.398942280401432677939946059934; // 1/sqrt(2π)
const SQRT_32 = 5.65685424949238019520274839731;
const SQRT2 = 1.41421356237309504880168872421;
const LN_HALF = -0.693147180559945309417232121458;
const LOG_SQRT_PI = 0.572364942924700087071713675677; // log Γ(½)
/** log(0.075): below this tail probability AS 241 uses its tail branches. */
const LOG_0_075 = Math.log(0.075);

// ---------------------------------------------------------------- Cody (1969/1993) -----
// Coefficients of the near-minimax rational approximations (Cody's ANORM, SPECFUN).
const CODY_A = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
const CODY_B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const CODY_C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226,
  2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218,
  1.0765576773720192317e-8,
];
const CODY_D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755,
  18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
];
const CODY_P = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
const CODY_Q = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];

/** Φ(z) − ½ for |z| ≤ 0.66291 (Cody's first interval). */
function centralSmall(z: number): number {
  const xsq = z * z;
  let xnum = CODY_A[4] * xsq;
  let xden = xsq;
  for (let i = 0; i < 3; i++) {
    xnum = (xnum + CODY_A[i]) * xsq;
    xden = (xden + CODY_B[i]) * xsq;
  }
  return (z * (xnum + CODY_A[3])) / (xden + CODY_B[3]);
}

/**
 * Upper tail for y > 0.66291 written as exp(−e)·m; returns [m, e] so that callers can take
 * the log without underflow.
 */
function tailParts(y: number): [number, number] {
  let m: number;
  if (y <= SQRT_32) {
    let xnum = CODY_C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + CODY_C[i]) * y;
      xden = (xden + CODY_D[i]) * y;
    }
    m = (xnum + CODY_C[7]) / (xden + CODY_D[7]);
  } else {
    const xsq = 1 / (y * y);
    let xnum = CODY_P[5] * xsq;
    let xden = xsq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + CODY_P[i]) * xsq;
      xden = (xden + CODY_Q[i]) * xsq;
    }
    m = (xsq * (xnum + CODY_P[4])) / (xden + CODY_Q[4]);
    m = (INV_SQRT_2PI - m) / y;
  }
  // exp(-y²/2) with y = ys + δ, ys = floor(16y)/16: y² = ys² + (y − ys)(y + ys)
  const ys = Math.floor(y * 16) / 16;
  const del = (y - ys) * (y + ys);
  return [m, ys * ys * 0.5 + del * 0.5];
}

/** 1 − Φ(y) for y ≥ 0. */
function upperTailPos(y: number): number {
  if (y <= 0.66291) return 0.5 - centralSmall(y);
  if (y === Infinity) return 0;
  const ys = Math.floor(y * 16) / 16;
  const [m] = tailParts(y);
  const del = (y - ys) * (y + ys);
  return Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5) * m;
}

/** log(1 − Φ(y)) for y ≥ 0, finite for every finite y. */
function logUpperTailPos(y: number): number {
  if (y <= 0.66291) return Math.log(0.5 - centralSmall(y));
  if (y === Infinity) return -Infinity;
  const [m, e] = tailParts(y);
  return Math.log(m) - e;
}

/** Φ(z) − ½, accurate in relative terms for small |z|. */
function normalCentral(z: number): number {
  const y = Math.abs(z);
  if (y <= 0.66291) return centralSmall(z);
  const c = 0.5 - upperTailPos(y);
  return z < 0 ? -c : c;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return normalTail(-z);
}

/** Upper tail 1 − Φ(z), accurate in relative terms for large z (underflows to 0 beyond z ≈ 38.5). */
export function normalTail(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z >= 0) return upperTailPos(z);
  return 1 - upperTailPos(-z);
}

/** log(1 − Φ(z)); finite for every finite z (about −z²/2 − log z − log√(2π) for large z). */
export function logNormalTail(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z >= 0) return logUpperTailPos(z);
  return Math.log1p(-upperTailPos(-z));
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** erf(x) = 2·(Φ(x√2) − ½). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return 2 * normalCentral(x * SQRT2);
}

/** erfc(x) = 2·(1 − Φ(x√2)), accurate in relative terms for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return 2 * normalTail(x * SQRT2);
}

// ---------------------------------------------------------------- Wichura AS 241 ------

/** Φ⁻¹(½ + q) for |q| ≤ 0.425 (AS 241 central region). q is passed directly, so a
 * central probability known to full relative precision gives a z of full relative precision. */
function quantileCentral(q: number): number {
  const r = 0.180625 - q * q;
  return (
    (q *
      (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r +
        13731.693765509461125) *
        r +
        1971.5909503065514427) *
        r +
        133.14166789178437745) *
        r +
        3.387132872796366608)) /
    (((((((r * 5226.495278852854561 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r +
      5394.1960214247511077) *
      r +
      687.1870074920579083) *
      r +
      42.313330701600911252) *
      r +
      1)
  );
}

/**
 * Positive z with log(1 − Φ(z)) = logQ, for logQ ≤ log(0.075) (AS 241 tail regions; r = √−logQ).
 * AS 241's third approximation is fitted for 5 ≤ r ≤ 27 (Q ≥ ~1e-316); beyond that the
 * asymptotic start is refined by Newton steps on logNormalTail.
 */
function quantileTailFromLog(logQ: number): number {
  let r = Math.sqrt(-logQ);
  if (r <= 5) {
    r -= 1.6;
    return (
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1)
    );
  }
  if (r <= 27) {
    r -= 5;
    return (
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1)
    );
  }
  if (logQ === -Infinity) return Infinity;
  // Very far tail: z² ≈ 2L − log(4πL) with L = −logQ, refined by Newton steps on
  // g(z) = log Q(z) − logQ, g'(z) = −φ(z)/Q(z) = −1/(√(2π)·m(z)) with Q = m·exp(−z²/2).
  const L = -logQ;
  if (L > 1e30) return Math.SQRT2 * Math.sqrt(L); // log(4πL)/(2L) is below double precision
  let z = Math.sqrt(2 * L - Math.log(4 * Math.PI * L));
  for (let it = 0; it < 20; it++) {
    const [m, e] = tailParts(z);
    const step = (Math.log(m) - e - logQ) * m * Math.sqrt(2 * Math.PI);
    z += step;
    if (!(Math.abs(step) > 1e-16 * z)) break;
  }
  return z;
}

/** Φ⁻¹(p) for p in (0, 1) (AS 241); −∞ / +∞ at 0 / 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return quantileCentral(q);
  if (q < 0) return -quantileTailFromLog(Math.log(p));
  return quantileTailFromLog(Math.log1p(-p));
}

/**
 * z with log(1 − Φ(z)) = logQ (logQ ≤ 0). Works for tails far below 1e-300, e.g.
 * logQ = −1e5 gives z ≈ 447.2; logQ = 0 gives −∞.
 */
export function normalQuantileFromLogTail(logQ: number): number {
  if (Number.isNaN(logQ) || logQ > 0) return NaN;
  if (logQ === 0) return -Infinity;
  if (logQ < LOG_0_075) return quantileTailFromLog(logQ);
  const Q = Math.exp(logQ);
  if (Q > 0.925) {
    // P = Φ(z) = 1 − Q < 0.075, taken without cancellation
    return -quantileTailFromLog(Math.log(-Math.expm1(logQ)));
  }
  return quantileCentral(0.5 - Q);
}

// ---------------------------------------------------------------- gamma / beta --------

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log|Γ(x)| (Lanczos, g = 7, n = 9; reflection for x < ½). +∞ at 0 and negative integers. */
export function gammaLn(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Γ(x)Γ(1−x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - gammaLn(1 - x);
  }
  const xm1 = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i] / (xm1 + i);
  const t = xm1 + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (xm1 + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Stirling remainder log Γ(x) − [(x − ½)log x − x + log√(2π)] for x ≥ 10 (|error| < 1e-17). */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  // Σ B_2k / (2k(2k−1) x^(2k−1)), k = 1..7
  return (
    r *
    (1 / 12 +
      r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))))
  );
}

/** log B(a, b) for a, b > 0, without the cancellation of lgamma differences for large arguments. */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (Number.isNaN(p) || p <= 0) return NaN;
  if (p >= 10) {
    const corr = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = stirlingCorrection(q) - stirlingCorrection(p + q);
    const lgp = p === 0.5 ? LOG_SQRT_PI : gammaLn(p);
    return lgp + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return gammaLn(p) + gammaLn(q) - gammaLn(p + q);
}

const CF_EPS = 1e-16;
const CF_TINY = 1e-300;
const CF_MAX_ITER = 100000;

/**
 * Continued fraction of the incomplete beta function (modified Lentz), such that
 * I_x(a,b) = x^a (1−x)^b / (a·B(a,b)) · betaCf(x, a, b). Converges fast for x < (a+1)/(a+b+2).
 */
function betaCf(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CF_MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < CF_EPS) break;
  }
  return h;
}

/**
 * log I_x(a, b) where the caller supplies x, y = 1 − x and their logs (so that both can be
 * accurate), for the branch x < (a+1)/(a+b+2) where the continued fraction is used directly.
 */
function logIncBetaDirect(x: number, logx: number, logy: number, a: number, b: number, lbeta: number): number {
  return a * logx + b * logy - Math.log(a) - lbeta + Math.log(betaCf(x, a, b));
}

/** Regularised incomplete beta I_x(a, b). */
export function incBeta(x: number, a: number, b: number): number {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b) || a <= 0 || b <= 0 || x < 0 || x > 1) return NaN;
  if (x === 0) return 0;
  if (x === 1) return 1;
  const y = 1 - x;
  const lb = logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return Math.exp(logIncBetaDirect(x, Math.log(x), Math.log1p(-x), a, b, lb));
  return 1 - Math.exp(logIncBetaDirect(y, Math.log1p(-x), Math.log(x), b, a, lb));
}

// ---------------------------------------------------------------- Student t -----------

/** Constants that depend on df only (reused across a whole map). */
interface TConst {
  df: number;
  a: number; // df/2
  lbeta: number; // log B(df/2, ½)
  split: number; // x threshold (a+1)/(a+2.5) between the two continued-fraction branches
}

function tConst(df: number): TConst {
  const a = df / 2;
  return { df, a, lbeta: logBeta(a, 0.5), split: (a + 1) / (a + 2.5) };
}

/**
 * For t > 0 (finite), either the upper tail (as its log) or the central probability
 * P(0 < T < t), whichever the continued fraction gives directly. Writes into TPART.
 */
const TPART = { isTail: true, logQ: 0, c: 0 };
function tParts(t: number, k: TConst): void {
  const u = (t * t) / k.df; // t²/ν
  let x: number; // ν/(ν+t²)
  let y: number; // t²/(ν+t²)
  let logx: number;
  let logy: number;
  if (u === Infinity) {
    // t² overflowed: work with logs only
    const lu = 2 * Math.log(t) - Math.log(k.df);
    logx = -lu;
    logy = 0;
    x = 0;
    y = 1;
    TPART.isTail = true;
    TPART.logQ = LN_HALF + k.a * logx - Math.log(k.a) - k.lbeta; // betaCf(0,…) = 1
    return;
  }
  x = 1 / (1 + u);
  y = u / (1 + u);
  logx = -Math.log1p(u);
  logy = u < 1 ? Math.log(u) - Math.log1p(u) : -Math.log1p(1 / u);
  if (x < k.split) {
    TPART.isTail = true;
    TPART.logQ = LN_HALF + logIncBetaDirect(x, logx, logy, k.a, 0.5, k.lbeta);
  } else {
    TPART.isTail = false;
    TPART.c = 0.5 * Math.exp(logIncBetaDirect(y, logy, logx, 0.5, k.a, k.lbeta));
  }
}

function validDf(df: number): boolean {
  return !Number.isNaN(df) && df > 0;
}

/** P(T > t) for t ≥ 0 finite with precomputed constants. */
function tTailPos(t: number, k: TConst): number {
  if (t === 0) return 0.5;
  tParts(t, k);
  return TPART.isTail ? Math.exp(TPART.logQ) : 0.5 - TPART.c;
}

/** Upper tail P(T > t) of Student's t with df degrees of freedom (df = ∞ gives the normal). */
export function tTail(t: number, df: number): number {
  if (Number.isNaN(t) || !validDf(df)) return NaN;
  if (df === Infinity) return normalTail(t);
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const k = tConst(df);
  if (t >= 0) return tTailPos(t, k);
  tParts(-t, k);
  return TPART.isTail ? 1 - Math.exp(TPART.logQ) : 0.5 + TPART.c;
}

/** Student t CDF P(T ≤ t). */
export function tCdf(t: number, df: number): number {
  return tTail(-t, df);
}

/** log P(T > t); finite for huge t (e.g. t = 1e6, df = 21 → about −260.61). */
export function logTTail(t: number, df: number): number {
  if (Number.isNaN(t) || !validDf(df)) return NaN;
  if (df === Infinity) return logNormalTail(t);
  if (t === Infinity) return -Infinity;
  if (t === 0) return LN_HALF;
  const k = tConst(df);
  if (t > 0) {
    tParts(t, k);
    return TPART.isTail ? TPART.logQ : Math.log(0.5 - TPART.c);
  }
  if (t === -Infinity) return 0;
  return Math.log1p(-tTailPos(-t, k));
}

/** Two-tailed p = P(|T| > |t|), capped at 1. */
export function twoTailedTP(t: number, df: number): number {
  if (Number.isNaN(t) || !validDf(df)) return NaN;
  return Math.min(1, 2 * tTail(Math.abs(t), df));
}

/** log of the t density. */
function logTPdf(t: number, k: TConst): number {
  const u = (t * t) / k.df;
  const l1p = u === Infinity ? 2 * Math.log(Math.abs(t)) - Math.log(k.df) : Math.log1p(u);
  return -k.lbeta - 0.5 * Math.log(k.df) - (k.df + 1) * 0.5 * l1p;
}

/** z ≥ 0 for t > 0 finite with the same upper tail, using precomputed constants. */
function tToZPos(t: number, k: TConst): number {
  tParts(t, k);
  if (TPART.isTail) {
    if (TPART.logQ < LOG_0_075) return quantileTailFromLog(TPART.logQ);
    return quantileCentral(0.5 - Math.exp(TPART.logQ));
  }
  if (TPART.c <= 0.425) return quantileCentral(TPART.c);
  return quantileTailFromLog(Math.log(0.5 - TPART.c));
}

/**
 * The z with the same tail probability as t (df degrees of freedom); odd in t.
 * Computed through log P(T > t), so it stays exact for |t| up to 1e6 and beyond
 * (e.g. t = 40, df = 21 → z ≈ 9.4768), and through the central probability for small |t|.
 *
 * DPABI (y_TFRtoZ → spm_t2z with Tol = 1e-16) computes z directly only while the tail
 * probability is ≥ 1e-16 (|t| ≤ t₁ = t_{1−1e-16}); beyond, it extrapolates
 * z = log(|t| − t₁ + l₀) + z₁ − log l₀ with l₀ the inverse of a least-squares slope over
 * t₁ − 0.5 … t₁, which underestimates z. DPABI also sets NaN to 0. Neither is done here:
 * NaN stays NaN, and large |t| keeps its exact z.
 */
export function tToZ(t: number, df: number): number {
  if (Number.isNaN(t) || !validDf(df)) return NaN;
  if (df === Infinity) return t;
  if (t === 0) return t; // keeps the sign of −0
  if (t === Infinity) return Infinity;
  if (t === -Infinity) return -Infinity;
  const k = tConst(df);
  return t > 0 ? tToZPos(t, k) : -tToZPos(-t, k);
}

/** Elementwise tToZ into out (may be the same buffer as t). NaN stays NaN. */
export function tToZArray(t: Float32Array, df: number, out: Float32Array): Float32Array {
  if (out.length !== t.length) throw new RangeError(`tToZArray: out has length ${out.length}, expected ${t.length}`);
  if (!validDf(df)) {
    out.fill(NaN);
    return out;
  }
  if (df === Infinity) {
    out.set(t);
    return out;
  }
  const k = tConst(df);
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (v > 0) out[i] = v === Infinity ? Infinity : tToZPos(v, k);
    else if (v < 0) out[i] = v === -Infinity ? -Infinity : -tToZPos(-v, k);
    else out[i] = v; // 0, −0 or NaN
  }
  return out;
}

/**
 * t > 0 whose upper tail is Q, given as log Q (logQ < log ½) and, when Q > 0.075, also as the
 * central probability cT = ½ − Q known to full relative precision. Bracketed Newton iteration:
 * on P(0 < T < t) in t when Q > 0.075, on log Q(t) in log t otherwise (log Q is nearly linear
 * in log t in the tail, so this converges in a few steps even for Q ≈ 1e-300).
 */
function tSolve(logQ: number, cT: number, k: TConst): number {
  if (logQ === -Infinity) return Infinity;
  const central = logQ > LOG_0_075;
  let t: number;
  if (central) {
    const z = quantileCentral(cT);
    t = z * (1 + (z * z + 1) / (4 * k.df)); // Cornish–Fisher start
  } else {
    // the t tail is heavier than the normal one: start from the larger of the normal quantile
    // and the tail asymptote log Q(t) ≈ −log B(ν/2,½) + (ν/2 − 1)·log ν − ν·log t
    const z = quantileTailFromLog(logQ);
    const cAsym = -k.lbeta + (k.df / 2 - 1) * Math.log(k.df);
    t = Math.max(z, Math.min(Math.exp((cAsym - logQ) / k.df), Number.MAX_VALUE));
  }
  if (!(t > 0) || !Number.isFinite(t)) t = 1;
  let lo = 0;
  let hi = Infinity;
  for (let it = 0; it < 400; it++) {
    tParts(t, k);
    let g: number; // decreasing in t, zero at the answer
    let tn: number;
    const logPdf = logTPdf(t, k);
    if (central) {
      const c = TPART.isTail ? 0.5 - Math.exp(TPART.logQ) : TPART.c;
      g = cT - c;
      tn = t + g / Math.exp(logPdf);
    } else {
      const lq = TPART.isTail ? TPART.logQ : Math.log(0.5 - TPART.c);
      g = lq - logQ;
      // d log Q / d log t = −t·f(t)/Q(t)
      tn = t * Math.exp(g / (t * Math.exp(logPdf - lq)));
    }
    if (g === 0) return t;
    if (g > 0) lo = t;
    else hi = t;
    if (!(tn > lo && tn < hi) || !Number.isFinite(tn)) {
      tn = hi === Infinity ? t * 4 : lo === 0 ? hi / 2 : Math.sqrt(lo * hi);
    }
    if (Math.abs(tn - t) <= 4e-16 * t) return tn;
    t = tn;
  }
  return t;
}

/** Student t quantile: t with P(T ≤ t) = p (df = ∞ gives the normal). */
export function tQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !validDf(df)) return NaN;
  if (df === Infinity) return normalQuantile(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const k = tConst(df);
  const c = Math.abs(p - 0.5); // exact for p in [¼, 1]
  if (p < 0.5) return -tSolve(Math.log(p), c, k);
  return tSolve(Math.log1p(-p), c, k);
}

/**
 * The t (df degrees of freedom) with the same upper-tail probability as z: the t equivalent
 * of a z threshold, computed in log space (exact for large z too). Odd in z.
 */
export function zToT(z: number, df: number): number {
  if (Number.isNaN(z) || !validDf(df)) return NaN;
  if (df === Infinity) return z;
  if (z === 0) return 0;
  if (z === Infinity) return Infinity;
  if (z === -Infinity) return -Infinity;
  const k = tConst(df);
  const y = Math.abs(z);
  const t = tSolve(logUpperTailPos(y), Math.abs(normalCentral(y)), k);
  return z > 0 ? t : -t;
}

// ---------------------------------------------------------------- log incomplete beta ---

/** log(1 − e^l) for l ≤ 0, accurate on both sides of log ½ (Mächler 2012). */
export function log1mExp(l: number): number {
  return l > LN_HALF ? Math.log(-Math.expm1(l)) : Math.log1p(-Math.exp(l));
}

/**
 * log I_x(a, b) and log(1 − I_x(a, b)), with y = 1 − x supplied by the caller so that both
 * can be accurate (e.g. the F tail far out). Whichever of the two the continued fraction
 * gives directly is taken from it; the other by log1mExp. For F, χ²-like and other tails
 * built on the incomplete beta in log space (shared/stats/fdist.ts).
 */
export function logIncBetaPair(x: number, y: number, a: number, b: number): { logLower: number; logUpper: number } {
  if (Number.isNaN(x) || Number.isNaN(y) || !(a > 0) || !(b > 0) || x < 0 || y < 0) return { logLower: NaN, logUpper: NaN };
  if (x === 0) return { logLower: -Infinity, logUpper: 0 };
  if (y === 0) return { logLower: 0, logUpper: -Infinity };
  const lb = logBeta(a, b);
  const logx = Math.log(x);
  const logy = Math.log(y);
  if (x < (a + 1) / (a + b + 2)) {
    const lp = Math.min(0, logIncBetaDirect(x, logx, logy, a, b, lb));
    return { logLower: lp, logUpper: log1mExp(lp) };
  }
  const lq = Math.min(0, logIncBetaDirect(y, logy, logx, b, a, lb));
  return { logLower: log1mExp(lq), logUpper: lq };
}
