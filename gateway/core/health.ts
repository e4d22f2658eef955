/**
 * What /health asks besides the devices: parts of the gateway that know whether they work (an
 * MQTT publisher's link to its broker, …) add a contributor and answer when asked. The gateway is
 * failing while any check is not ok; the reason is shown as given.
 */
import { errorMessage } from '../errors';

export interface HealthCheck {
  /** What is checked, e.g. `mqtt publisher plant-broker`. */
  name: string;
  ok: boolean;
  /** Why it is not ok (shown in /health); may be absent when ok. */
  reason?: string;
}

/** Asked at every /health request: one check or several (a publisher list answers one per publisher). */
export type HealthContributor = () => HealthCheck | readonly HealthCheck[];

export class HealthContributors {
  private readonly contributors = new Set<HealthContributor>();

  /** Adds a contributor; the returned function takes it out again (when what it checks stops). */
  add(contributor: HealthContributor): () => void {
    this.contributors.add(contributor);
    return () => this.contributors.delete(contributor);
  }

  /** Every contributor's checks; one that throws is a failed check that says so. */
  checks(): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const contributor of this.contributors) {
      try {
        const answer = contributor();
        for (const c of Array.isArray(answer) ? answer : [answer as HealthCheck]) {
          out.push(c.ok ? { name: String(c.name), ok: true } : { name: String(c.name), ok: false, reason: c.reason ? String(c.reason) : 'not ok (no reason given)' });
        }
      } catch (err) {
        out.push({ name: 'health check', ok: false, reason: `a health check failed: ${errorMessage(err)}` });
      }
    }
    return out;
  }
}
