/** A simulated device's own loop (heartbeats, polls, uploads), running until it is stopped. */
export interface DeviceLoop {
  stop: AbortController;
  done: Promise<void>;
}

/** Runs `round` again and again until stopLoop; each round gets the loop's abort signal. */
export function startLoop(round: (signal: AbortSignal) => Promise<void>): DeviceLoop {
  const stop = new AbortController();
  const done = (async () => {
    while (!stop.signal.aborted) await round(stop.signal);
  })();
  return { stop, done };
}

/** Aborts the loop (with `reason`, passed to what waits on its signal) and waits for its round to end. */
export async function stopLoop(loop: DeviceLoop, reason?: unknown): Promise<void> {
  loop.stop.abort(reason);
  await loop.done;
}
