/**
 * Keeps passwords out of the log: every line the Bifrost log shows passes through here. Known
 * secrets (the passwords the extension sends) are masked wherever they appear, also JSON-escaped,
 * and so is the value of any `"password"` field of JSON text (the language client's message
 * trace prints request parameters). Free of vscode so it can be tested alone.
 */

export const MASK = '••••••';

/** Shorter secrets would mask ordinary words all over the log; the `"password"` field rule still covers them. */
const MIN_MASKED_LENGTH = 4;

const PASSWORD_FIELD = /("password"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Masks `secret` from now on. */
  add(secret: string): void {
    if (secret.length < MIN_MASKED_LENGTH) return;
    this.secrets.add(secret);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) this.secrets.add(escaped);
  }

  redact(text: string): string {
    let out = text.replace(PASSWORD_FIELD, `$1"${MASK}"`);
    // Longest first, so that a secret containing another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }
}

/** The writing methods of a log channel whose first argument is text. */
const WRITERS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/**
 * The same channel, with every text written to it redacted: for writers outside the extension's
 * own Log (the language client writes its errors and message traces to the channel it is given).
 */
export function redactingChannel<T extends object>(channel: T, redactor: Redactor): T {
  return new Proxy(channel, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !WRITERS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (first: unknown, ...rest: unknown[]) => {
        const text = typeof first === 'string' ? redactor.redact(first) : first instanceof Error ? redactor.redact(first.stack ?? first.message) : first;
        return (value as (...a: unknown[]) => unknown).call(target, text, ...rest.map((r) => (typeof r === 'string' ? redactor.redact(r) : r)));
      };
    },
  });
}
