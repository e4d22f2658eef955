/**
 * Waiting for conditions, never for time: a check runs until it returns something other than
 * undefined, and a timeout says what was awaited and what was last seen.
 */

export interface WaitOptions {
  timeoutMs?: number;
  /** How often the check runs when no event says to look again. */
  everyMs?: number;
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  lastSeen: () => string | Promise<string> = () => '',
  { timeoutMs = 20_000, everyMs = 50 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = await Promise.resolve().then(lastSeen).catch((err: unknown) => `(could not say: ${err instanceof Error ? err.message : String(err)})`);
      const failure = lastError instanceof Error ? `; last check failed: ${lastError.message}` : '';
      throw new Error(`Waited ${timeoutMs} ms for ${what}${seen ? `; last seen: ${seen}` : ''}${failure}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
