import { solveAssignment, type Assignment } from './assignment';
import { boundingDiameterSquared, squaredDistance, squaredDistanceMatrix, type Points } from './points';

/** Options of {@link optimalMatching}. */
export interface MatchingOptions {
  /** Initial candidate edges: each `a_i` to its nearest `b_j` and each `b_j` to its nearest `a_i` (default 24). */
  neighbours?: number;
}

/** Work done by {@link optimalMatching}. */
export interface MatchingStats {
  /** Verification passes over all n² pairs (1 when the candidate graph already held a certified optimum). */
  readonly rounds: number;
  /** Candidate edges at the end. */
  readonly edges: number;
  /** Shortest augmenting path searches run. */
  readonly searches: number;
  /** True when the candidate graph grew too large and the dense LAPJV solved the problem instead. */
  readonly dense: boolean;
}

/** Most violating pairs added per row and verification pass. */
const ADD_PER_ROW = 8;
/** Verification passes before falling back to the dense solver. */
const MAX_ROUNDS = 40;
/** Augmenting path searches per point before falling back to the dense solver. */
const MAX_SEARCHES_PER_POINT = 40;

/**
 * Optimal matching of two equal-size point sets on squared Euclidean costs,
 * exact and certified, without an n × n matrix:
 *
 * 1. a sparse candidate graph: each `a_i` linked to its `neighbours` nearest
 *    `b_j`, each `b_j` to its `neighbours` nearest `a_i`, plus the quantile
 *    matchings (rank by rank) of the projections on a few fixed directions —
 *    perfect matchings that carry the large-scale transport;
 * 2. successive shortest augmenting paths on that graph (Dijkstra on reduced
 *    costs `c_ij − v_j − u_i` with column prices `v`, binary heap), the
 *    invariant being `c_ij − v_j >= u_i = c_{i,σ(i)} − v_{σ(i)}` on every graph
 *    edge of an assigned row (the graph holds perfect matchings, so every
 *    search reaches a free column);
 * 3. a check of dual feasibility over **all** n² pairs: each row's (up to 8)
 *    most violating pairs join the graph, the row is freed and step 2 resumes.
 *    A pass with no violation certifies optimality: `(u, v)` is then
 *    dual-feasible and tight on the matching, up to a rounding tolerance of
 *    1e-13·diameter² per pair.
 *
 * If the checks do not settle within 40 passes, the graph passes n²/4 edges
 * or the searches pass 40·n, the dense {@link solveAssignment} (LAPJV) solves
 * the problem instead, so the worst case stays O(n³). On 2-D samples the work
 * is O(n²) per check pass (usually 2–11 passes) plus the sparse searches.
 *
 * @example
 * ```ts
 * const { rowToCol, totalCost, stats } = optimalMatching(toPoints('generated', generated), toPoints('heldOut', heldOut));
 * ```
 */
export function optimalMatching(a: Points, b: Points, options: MatchingOptions = {}): Assignment & { readonly stats: MatchingStats } {
  const n = a.n;
  const k0 = Math.min(n, Math.max(1, Math.floor(options.neighbours ?? 24)));
  const cost = costFunction(a, b);
  const graph = new CandidateGraph(n);
  for (let i = 0; i < n; i++) graph.addNearest(i, k0, a, b);
  const reverse = new CandidateGraph(n);
  for (let j = 0; j < n; j++) for (const i of reverse.addNearest(j, k0, b, a)) graph.add(i, j);
  // and the quantile (sorted) matchings along a few directions: each is a perfect matching, so
  // every search finds a free column, and they carry the large-scale transport (exact in 1-D)
  for (const dir of projectionDirections(a.dim)) addSortedMatching(graph, a, b, dir);

  const x = new Int32Array(n).fill(-1);
  const y = new Int32Array(n).fill(-1);
  const v = new Float64Array(n);
  const search = new PathSearch(n);
  const tol = 1e-13 * Math.max(boundingDiameterSquared(a, b), Number.MIN_VALUE);
  const queue: number[] = [];
  for (let i = n - 1; i >= 0; i--) queue.push(i);
  let rounds = 0;
  let searches = 0;
  const free = (i: number): void => {
    if (x[i]! >= 0) y[x[i]!] = -1;
    x[i] = -1;
    queue.push(i);
  };

  for (;;) {
    while (queue.length > 0) {
      const s = queue.pop()!;
      if (x[s]! >= 0) continue;
      searches++;
      // the graph holds perfect matchings, so a free column is always reachable; should that ever fail, go dense
      if (!search.run(s, graph, cost, x, y, v)) return denseFallback(a, b, { rounds, edges: graph.edges, searches });
    }
    rounds++;
    const added = addViolations(a, b, graph, x, v, tol, free);
    if (added === 0) break;
    if (rounds >= MAX_ROUNDS || graph.edges > (n * n) / 4 || searches > MAX_SEARCHES_PER_POINT * n) {
      return denseFallback(a, b, { rounds, edges: graph.edges, searches });
    }
  }

  const u = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = cost(i, x[i]!);
    total += c;
    u[i] = c - v[x[i]!]!;
  }
  return { rowToCol: x, colToRow: y, totalCost: total, rowPotential: u, colPotential: v, stats: { rounds, edges: graph.edges, searches, dense: false } };
}

/** The dense LAPJV on the full cost matrix, with the sparse solver's work so far. */
function denseFallback(a: Points, b: Points, work: Omit<MatchingStats, 'dense'>): Assignment & { readonly stats: MatchingStats } {
  return { ...solveAssignment(squaredDistanceMatrix(a, b), a.n), stats: { ...work, dense: true } };
}

/**
 * One verification pass: for each row, the (up to {@link ADD_PER_ROW}) columns
 * with the least reduced cost `c_ij − v_j` below `u_i − tol` join the graph and
 * the row is freed. Returns the number of edges added. The n² reduced costs are
 * computed in place (2-D: one loop over `b`'s coordinates, no call a pair; the
 * same float64 operations as {@link squaredDistance}, so the same figures).
 */
function addViolations(a: Points, b: Points, graph: CandidateGraph, x: Int32Array, v: Float64Array, tol: number, free: (i: number) => void): number {
  const n = a.n;
  const d = a.dim;
  const A = a.data;
  const B = b.data;
  const bestR = new Float64Array(ADD_PER_ROW);
  const bestJ = new Int32Array(ADD_PER_ROW);
  let added = 0;
  for (let i = 0; i < n; i++) {
    const limit = squaredDistance(a, i, b, x[i]!) - v[x[i]!]! - tol;
    // a column is a candidate while its reduced cost is below `bound`: the limit, then (once the list is full) its largest entry
    let bound = limit;
    let count = 0;
    const consider = (j: number, r: number): void => {
      // insertion into the ascending top list
      let p = count < ADD_PER_ROW ? count++ : ADD_PER_ROW - 1;
      while (p > 0 && bestR[p - 1]! > r) {
        bestR[p] = bestR[p - 1]!;
        bestJ[p] = bestJ[p - 1]!;
        p--;
      }
      bestR[p] = r;
      bestJ[p] = j;
      if (count === ADD_PER_ROW) bound = bestR[ADD_PER_ROW - 1]!;
    };
    if (d === 2) {
      const ax = A[2 * i]!;
      const ay = A[2 * i + 1]!;
      for (let j = 0; j < n; j++) {
        const dx = ax - B[2 * j]!;
        const dy = ay - B[2 * j + 1]!;
        const r = dx * dx + dy * dy - v[j]!;
        if (r < bound) consider(j, r);
      }
    } else {
      for (let j = 0; j < n; j++) {
        const r = squaredDistance(a, i, b, j) - v[j]!;
        if (r < bound) consider(j, r);
      }
    }
    let any = false;
    for (let t = 0; t < count; t++) {
      if (graph.add(i, bestJ[t]!)) {
        added++;
        any = true;
      }
    }
    if (any) free(i);
  }
  return added;
}

type Cost = (i: number, j: number) => number;

/** Unit directions for the sliced candidate matchings: the axes and up to 8 in all (fixed, pseudo-random beyond the axes and diagonals). */
function projectionDirections(dim: number): number[][] {
  const dirs: number[][] = [];
  const unit = (w: number[]): number[] => {
    const norm = Math.hypot(...w);
    return w.map((x) => x / norm);
  };
  for (let k = 0; k < dim; k++) dirs.push(Array.from({ length: dim }, (_, j) => (j === k ? 1 : 0)));
  if (dim === 2) {
    dirs.push(unit([1, 1]), unit([1, -1]));
    return dirs;
  }
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  while (dirs.length < Math.min(8, dim + 4)) dirs.push(unit(Array.from({ length: dim }, next)));
  return dirs;
}

/** Adds the edges of the matching that pairs a and b by the rank of their projections on `dir`. */
function addSortedMatching(graph: CandidateGraph, a: Points, b: Points, dir: readonly number[]): void {
  const order = (p: Points): Int32Array => {
    const key = new Float64Array(p.n);
    for (let i = 0; i < p.n; i++) {
      let s = 0;
      for (let k = 0; k < p.dim; k++) s += dir[k]! * p.data[i * p.dim + k]!;
      key[i] = s;
    }
    return Int32Array.from({ length: p.n }, (_, i) => i).sort((i, j) => key[i]! - key[j]!);
  };
  const oa = order(a);
  const ob = order(b);
  for (let r = 0; r < a.n; r++) graph.add(oa[r]!, ob[r]!);
}

function costFunction(a: Points, b: Points): Cost {
  if (a.dim === 2) {
    const A = a.data;
    const B = b.data;
    return (i, j) => {
      const dx = A[2 * i]! - B[2 * j]!;
      const dy = A[2 * i + 1]! - B[2 * j + 1]!;
      return dx * dx + dy * dy;
    };
  }
  return (i, j) => squaredDistance(a, i, b, j);
}


/** Per-row candidate columns (growable adjacency lists). */
class CandidateGraph {
  edges = 0;
  private readonly cols: Int32Array[];
  private readonly len: Int32Array;
  private readonly mark: Int32Array;
  private stamp = 0;

  constructor(n: number) {
    this.cols = Array.from({ length: n }, () => new Int32Array(0));
    this.len = new Int32Array(n);
    this.mark = new Int32Array(n);
  }

  /** Row i's candidate columns as a view (allocates: the searches read {@link row} and {@link degree} instead). */
  neighbours(i: number): Int32Array {
    return this.cols[i]!.subarray(0, this.len[i]!);
  }

  /** Row i's storage: its candidate columns are `row(i)[0 .. degree(i))`. */
  row(i: number): Int32Array {
    return this.cols[i]!;
  }

  /** How many candidate columns row i has. */
  degree(i: number): number {
    return this.len[i]!;
  }

  /** Adds edge (i, j) unless present; true when added. */
  add(i: number, j: number): boolean {
    const row = this.cols[i]!;
    const l = this.len[i]!;
    for (let k = 0; k < l; k++) if (row[k] === j) return false;
    this.push(i, j);
    return true;
  }

  /**
   * Makes row i hold (at least) its `k` nearest columns, row i being `from`'s point i and the columns `to`'s points
   * (squared Euclidean distance); returns the columns added.
   */
  addNearest(i: number, k: number, from: Points, to: Points): number[] {
    const n = this.mark.length;
    const d = from.dim;
    const P = from.data;
    const Q = to.data;
    const px = P[d * i]!;
    const py = d === 2 ? P[d * i + 1]! : 0;
    // bounded max-heap of the k smallest costs
    const hc = new Float64Array(k);
    const hj = new Int32Array(k);
    let size = 0;
    for (let j = 0; j < n; j++) {
      let c: number;
      if (d === 2) {
        const dx = px - Q[2 * j]!;
        const dy = py - Q[2 * j + 1]!;
        c = dx * dx + dy * dy;
      } else c = squaredDistance(from, i, to, j);
      if (size < k) {
        let p = size++;
        while (p > 0) {
          const q = (p - 1) >> 1;
          if (hc[q]! >= c) break;
          hc[p] = hc[q]!;
          hj[p] = hj[q]!;
          p = q;
        }
        hc[p] = c;
        hj[p] = j;
      } else if (c < hc[0]!) {
        let p = 0;
        for (;;) {
          const l = 2 * p + 1;
          if (l >= k) break;
          const r = l + 1;
          const m = r < k && hc[r]! > hc[l]! ? r : l;
          if (hc[m]! <= c) break;
          hc[p] = hc[m]!;
          hj[p] = hj[m]!;
          p = m;
        }
        hc[p] = c;
        hj[p] = j;
      }
    }
    this.stamp++;
    for (const j of this.neighbours(i)) this.mark[j] = this.stamp;
    const added: number[] = [];
    for (let t = 0; t < size; t++) {
      const j = hj[t]!;
      if (this.mark[j] !== this.stamp) {
        this.push(i, j);
        added.push(j);
      }
    }
    return added;
  }

  private push(i: number, j: number): void {
    let row = this.cols[i]!;
    const l = this.len[i]!;
    if (l === row.length) {
      const grown = new Int32Array(Math.max(8, 2 * l));
      grown.set(row);
      this.cols[i] = row = grown;
    }
    row[l] = j;
    this.len[i] = l + 1;
    this.edges++;
  }
}

/** Successive shortest augmenting path search (Dijkstra with a lazy binary heap). */
class PathSearch {
  private readonly dist: Float64Array;
  private readonly pred: Int32Array;
  private readonly seen: Int32Array;
  private readonly done: Int32Array;
  private readonly ready: Int32Array;
  private nReady = 0;
  private stamp = 0;
  private heapKey = new Float64Array(1024);
  private heapVal = new Int32Array(1024);
  private heapSize = 0;

  constructor(n: number) {
    this.dist = new Float64Array(n);
    this.pred = new Int32Array(n);
    this.seen = new Int32Array(n);
    this.done = new Int32Array(n);
    this.ready = new Int32Array(n);
  }

  /** Augments from free row `s`; false when no free column is reachable in the graph. */
  run(s: number, graph: CandidateGraph, cost: Cost, x: Int32Array, y: Int32Array, v: Float64Array): boolean {
    const { dist, pred, seen, done, ready } = this;
    const stamp = ++this.stamp;
    this.heapSize = 0;
    this.nReady = 0;
    const first = graph.row(s);
    for (let t = 0, deg = graph.degree(s); t < deg; t++) {
      const j = first[t]!;
      const dj = cost(s, j) - v[j]!;
      if (seen[j] !== stamp || dj < dist[j]!) {
        dist[j] = dj;
        pred[j] = s;
        seen[j] = stamp;
        this.push(dj, j);
      }
    }
    let last = -1;
    let mind = 0;
    while (this.heapSize > 0) {
      const dj = this.heapKey[0]!;
      const j = this.pop();
      if (done[j] === stamp || dj > dist[j]!) continue;
      if (y[j]! < 0) {
        last = j;
        mind = dj;
        break;
      }
      done[j] = stamp;
      ready[this.nReady++] = j;
      const i = y[j]!;
      const h = cost(i, j) - v[j]! - dj; // u_i − d_j
      const row = graph.row(i);
      for (let t = 0, deg = graph.degree(i); t < deg; t++) {
        const k = row[t]!;
        if (done[k] === stamp) continue;
        const dk = cost(i, k) - v[k]! - h;
        if (seen[k] !== stamp || dk < dist[k]!) {
          dist[k] = dk;
          pred[k] = i;
          seen[k] = stamp;
          this.push(dk, k);
        }
      }
    }
    if (last < 0) return false;
    for (let k = 0; k < this.nReady; k++) {
      const j = ready[k]!;
      v[j] = v[j]! + dist[j]! - mind;
    }
    let j = last;
    for (;;) {
      const i = pred[j]!;
      y[j] = i;
      const next = x[i]!;
      x[i] = j;
      if (i === s) break;
      j = next;
    }
    return true;
  }

  private push(key: number, val: number): void {
    if (this.heapSize === this.heapKey.length) {
      const k = new Float64Array(2 * this.heapSize);
      k.set(this.heapKey);
      const w = new Int32Array(2 * this.heapSize);
      w.set(this.heapVal);
      this.heapKey = k;
      this.heapVal = w;
    }
    const keys = this.heapKey;
    const vals = this.heapVal;
    let p = this.heapSize++;
    while (p > 0) {
      const q = (p - 1) >> 1;
      if (keys[q]! <= key) break;
      keys[p] = keys[q]!;
      vals[p] = vals[q]!;
      p = q;
    }
    keys[p] = key;
    vals[p] = val;
  }

  private pop(): number {
    const keys = this.heapKey;
    const vals = this.heapVal;
    const top = vals[0]!;
    const size = --this.heapSize;
    if (size === 0) return top;
    const key = keys[size]!;
    const val = vals[size]!;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && keys[r]! < keys[l]! ? r : l;
      if (keys[m]! >= key) break;
      keys[p] = keys[m]!;
      vals[p] = vals[m]!;
      p = m;
    }
    keys[p] = key;
    vals[p] = val;
    return top;
  }
}
