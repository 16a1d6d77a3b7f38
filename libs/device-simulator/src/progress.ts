import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';

/**
 * A block of status lines on a stream. On a terminal it is redrawn in place (lines cut to the width so
 * that wrapping never breaks the redraw); elsewhere the caller prints plain lines instead.
 */
export class ProgressDisplay {
  private drawn = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Replaces the block drawn last time by these lines (terminal only). */
  draw(lines: string[]): void {
    const width = Math.max(20, (this.stream.columns ?? 120) - 1);
    this.clear();
    this.stream.write(
      lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n') + '\n',
    );
    this.drawn = lines.length;
  }

  /** Prints a message above the block (terminal) or as a line (elsewhere). */
  log(line: string): void {
    this.clear();
    this.stream.write(line + '\n');
  }

  /** Leaves what is drawn on screen and starts a fresh block below it. */
  release(): void {
    this.drawn = 0;
  }

  private clear(): void {
    if (this.drawn > 0 && this.isTTY) {
      moveCursor(this.stream, 0, -this.drawn);
      cursorTo(this.stream, 0);
      clearScreenDown(this.stream);
    }
    this.drawn = 0;
  }
}

/** Punches per second over a sliding window of samples. */
export class RateMeter {
  private readonly samples: { t: number; n: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  add(t: number, n: number): number {
    this.samples.push({ t, n });
    while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const dt = t - first.t;
    return dt > 0 ? ((n - first.n) * 1000) / dt : 0;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((v) => String(v).padStart(2, '0'))
    .join(':');
}
