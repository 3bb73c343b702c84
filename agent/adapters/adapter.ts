import type { MetricFamily } from '../../core/index.ts';

/**
 * A metric adapter turns something foreign (a Prometheus endpoint, StatsD packets, Redis
 * INFO, a JSON status page) into metric families, collected when the agent's /metrics is
 * scraped. A failing collect rejects; the agent reports it as
 * `vigil_agent_adapter_up{adapter="..."} 0` and serves the rest.
 */
export interface Adapter {
  readonly name: string;
  collect(signal: AbortSignal): Promise<MetricFamily[]>;
  close?(): Promise<void>;
}

/** A family from a name, type, help and samples, skipping empty ones. */
export function family(
  name: string,
  type: MetricFamily['type'],
  help: string,
  samples: Array<{ labels?: Record<string, string>; value: number; name?: string }>,
): MetricFamily {
  return {
    name,
    type,
    help,
    samples: samples.map((s) => ({ name: s.name ?? name, labels: s.labels ?? {}, value: s.value })),
  };
}
