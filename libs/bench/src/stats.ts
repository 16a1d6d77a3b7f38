/** A growable list of latency samples in milliseconds, with exact percentiles. */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** The p-th percentile (0-100), nearest-rank; NaN without samples. */
  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const sorted = this.data.slice(0, this.n).sort();
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
    return sorted[rank];
  }

  max(): number {
    let m = -Infinity;
    for (let i = 0; i < this.n; i++) m = Math.max(m, this.data[i]);
    return this.n ? m : NaN;
  }
}

/** Counts per whole second since a start, to report the sustained rate and its worst second. */
export class PerSecond {
  private readonly buckets = new Map<number, number>();

  constructor(private readonly startMs: number) {}

  add(atMs: number, n: number): void {
    const s = Math.floor((atMs - this.startMs) / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + n);
  }

  /** Seconds [from, to) in order, zeros included. */
  series(from: number, to: number): number[] {
    return Array.from({ length: Math.max(0, to - from) }, (_, i) => this.buckets.get(from + i) ?? 0);
  }
}
