/**
 * Switchable misbehaviour of the API (`/api/...`), the way an overloaded government system misbehaves:
 * error statuses from the application or its nginx, requests that hang, slow answers, bodies cut short.
 */
import { z } from 'zod';

export const FAULT_MODES = ['none', 'error', 'timeout', 'slow', 'truncate'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** How long a `timeout` fault holds the connection before closing it without an answer. */
export const DEFAULT_TIMEOUT_HOLD_MS = 60_000;
export const DEFAULT_SLOW_DELAY_MS = 2_000;
export const DEFAULT_ERROR_STATUS = 503;

export const FaultSpec = z
  .object({
    mode: z.enum(FAULT_MODES),
    /** `error`: the status to answer (default 503). */
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
    /**
     * `slow`: how long to wait before answering (default 2000 ms). `timeout`: how long to hold the
     * connection before closing it without an answer (default 60000 ms).
     */
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
    /** How many requests the fault affects, then it switches itself off. Default: until changed. */
    count: z.number().int().min(1).optional(),
    /** Let this many more requests through untouched before the fault starts. Default 0. */
    afterRequests: z.number().int().min(0).optional(),
  })
  .strict();
export type FaultSpec = z.infer<typeof FaultSpec>;

/** What happens to one request. */
export type Fault =
  | { mode: 'error'; status: 500 | 502 | 503 }
  | { mode: 'timeout'; holdMs: number }
  | { mode: 'slow'; delayMs: number }
  | { mode: 'truncate' };

export interface FaultState {
  mode: FaultMode;
  status?: number;
  delayMs?: number;
  /** Requests still to be affected; absent = unlimited. */
  remaining?: number;
  /** Requests still to let through before the fault starts. */
  passBefore: number;
  /** Requests affected since the simulator started (or was reset). */
  injected: number;
}

export class FaultController {
  private spec: FaultSpec = { mode: 'none' };
  private remaining = Number.POSITIVE_INFINITY;
  private passBefore = 0;
  private injectedTotal = 0;

  set(spec: FaultSpec): void {
    this.spec = { ...spec };
    this.remaining = spec.count ?? Number.POSITIVE_INFINITY;
    this.passBefore = spec.afterRequests ?? 0;
  }

  clear(): void {
    this.set({ mode: 'none' });
  }

  reset(): void {
    this.clear();
    this.injectedTotal = 0;
  }

  /** Called once per API request: the fault to inject into it, if any. */
  next(): Fault | undefined {
    const spec = this.spec;
    if (spec.mode === 'none') return undefined;
    if (this.passBefore > 0) {
      this.passBefore--;
      return undefined;
    }
    if (this.remaining <= 0) return undefined;
    this.remaining--;
    this.injectedTotal++;
    if (this.remaining <= 0) this.clear();
    switch (spec.mode) {
      case 'error':
        return { mode: 'error', status: spec.status ?? DEFAULT_ERROR_STATUS };
      case 'timeout':
        return { mode: 'timeout', holdMs: spec.delayMs ?? DEFAULT_TIMEOUT_HOLD_MS };
      case 'slow':
        return { mode: 'slow', delayMs: spec.delayMs ?? DEFAULT_SLOW_DELAY_MS };
      case 'truncate':
        return { mode: 'truncate' };
    }
  }

  state(): FaultState {
    const s = this.spec;
    return {
      mode: s.mode,
      ...(s.mode === 'error' ? { status: s.status ?? DEFAULT_ERROR_STATUS } : {}),
      ...(s.mode === 'slow' ? { delayMs: s.delayMs ?? DEFAULT_SLOW_DELAY_MS } : {}),
      ...(s.mode === 'timeout' ? { delayMs: s.delayMs ?? DEFAULT_TIMEOUT_HOLD_MS } : {}),
      ...(s.mode !== 'none' && Number.isFinite(this.remaining) ? { remaining: this.remaining } : {}),
      passBefore: this.passBefore,
      injected: this.injectedTotal,
    };
  }
}
