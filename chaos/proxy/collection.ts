import type { RandomSource } from '../../core/index.ts';
import { type Clock, isLoopback, type TimerHandle, VigilError } from '../../core/index.ts';
import { apiError } from './errors.ts';
import { type ProxyView, TcpProxy } from './proxy.ts';
import { type ProxySpec, parseAddress, parseToxicInput, parseToxicUpdate, type ToxicSpec } from './spec.ts';

export interface ProxyCollectionOptions {
  clock: Clock;
  random: RandomSource;
  /** Upstream hosts allowed besides loopback: chaos must not reach production by a typo. */
  allowUpstreams?: string[];
  /** How often expired leases are swept. */
  sweepEveryMs?: number;
  /** Notable changes (a lease expired and its toxics were removed), for the process log. */
  onEvent?: (event: { msg: string; [key: string]: unknown }) => void;
}

/** A holder of leased toxics (an experiment run) and when its lease runs out. */
export interface LeaseView {
  holder: string;
  ttlMs: number;
  expiresAt: number;
  toxics: string[];
}

/** Default lease sweep period: a lease expires at most this late. */
const defaultSweepEveryMs = 500;

/**
 * All proxies of one `vigil proxy` process, and the leases on their toxics.
 *
 * A toxic created with a lease holder is removed when the holder stops renewing (its runner
 * died, even by kill -9): faults are leased, so they are always put back. Toxics created
 * without a lease behave as in Toxiproxy and stay until removed.
 */
export class ProxyCollection {
  private readonly proxies = new Map<string, TcpProxy>();
  private readonly leases = new Map<string, { ttlMs: number; expiresAt: number }>();
  /** `proxy/toxic` to lease holder. */
  private readonly leasedToxics = new Map<string, string>();
  private sweeper: TimerHandle | undefined;
  private readonly allow: Set<string>;
  private closed = false;
  leasesExpiredTotal = 0;

  constructor(private readonly options: ProxyCollectionOptions) {
    this.allow = new Set((options.allowUpstreams ?? []).map((h) => h.toLowerCase()));
    this.scheduleSweep();
  }

  list(): ProxyView[] {
    return [...this.proxies.values()].map((p) => p.view());
  }

  all(): TcpProxy[] {
    return [...this.proxies.values()];
  }

  get(name: string): TcpProxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw apiError('proxyNotFound', name);
    return proxy;
  }

  async create(spec: ProxySpec): Promise<ProxyView> {
    if (this.proxies.has(spec.name)) throw apiError('proxyExists', spec.name);
    this.checkUpstream(spec.upstream);
    const proxy = new TcpProxy(spec, { clock: this.options.clock, random: this.options.random });
    this.proxies.set(spec.name, proxy);
    try {
      await proxy.start();
    } catch (err) {
      this.proxies.delete(spec.name);
      throw err;
    }
    return proxy.view();
  }

  /**
   * Creates or replaces proxies, all or nothing as far as validation goes: an unchanged proxy
   * is kept with its toxics and connections, a changed one is replaced.
   */
  async populate(specs: ProxySpec[]): Promise<ProxyView[]> {
    const names = new Set<string>();
    for (const spec of specs) {
      if (names.has(spec.name)) throw apiError('proxyExists', spec.name);
      names.add(spec.name);
      this.checkUpstream(spec.upstream);
    }
    const out: ProxyView[] = [];
    try {
      for (const spec of specs) {
        const existing = this.proxies.get(spec.name);
        if (existing) {
          const v = existing.view();
          const sameListen = spec.listen === v.listen || /:0$/.test(spec.listen);
          if (sameListen && spec.upstream === v.upstream && spec.enabled === v.enabled) {
            out.push(v);
            continue;
          }
          await this.remove(spec.name);
        }
        out.push(await this.create(spec));
      }
    } catch (err) {
      // Toxiproxy answers a failed populate with the proxies it did set up, next to the error.
      if (err instanceof VigilError) err.details['proxies'] = out;
      throw err;
    }
    return out;
  }

  async update(name: string, next: ProxySpec): Promise<ProxyView> {
    const proxy = this.get(name);
    this.checkUpstream(next.upstream);
    await proxy.update(next);
    return proxy.view();
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    this.proxies.delete(name);
    for (const key of [...this.leasedToxics.keys()])
      if (key.startsWith(`${name}/`)) this.leasedToxics.delete(key);
    await proxy.stop();
  }

  /** Toxiproxy's reset: every proxy enabled again, every toxic removed. */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      proxy.removeAllToxics();
      const v = proxy.view();
      if (!v.enabled) await proxy.update({ ...v, enabled: true });
    }
    this.leasedToxics.clear();
  }

  /** Adds a toxic; with `holder`, the toxic lives only while that lease is renewed. */
  addToxic(proxyName: string, body: unknown, holder?: string): ToxicSpec {
    const proxy = this.get(proxyName);
    const spec = parseToxicInput(body);
    if (proxy.toxic(spec.name)) throw apiError('toxicExists', spec.name);
    if (holder !== undefined) {
      if (!this.leases.has(holder)) throw apiError('leaseNotFound', holder);
      this.leasedToxics.set(`${proxyName}/${spec.name}`, holder);
    }
    proxy.addToxic(spec);
    return proxy.toxic(spec.name)!;
  }

  updateToxic(proxyName: string, toxicName: string, body: unknown): ToxicSpec {
    const proxy = this.get(proxyName);
    const current = proxy.toxic(toxicName);
    if (!current) throw apiError('toxicNotFound', toxicName);
    proxy.updateToxic(parseToxicUpdate(body, current));
    return proxy.toxic(toxicName)!;
  }

  removeToxic(proxyName: string, toxicName: string): void {
    const proxy = this.get(proxyName);
    if (!proxy.removeToxic(toxicName)) throw apiError('toxicNotFound', toxicName);
    this.leasedToxics.delete(`${proxyName}/${toxicName}`);
  }

  /** Creates or renews a lease for `ttlMs` from now. */
  renewLease(holder: string, ttlMs: number): LeaseView {
    this.leases.set(holder, { ttlMs, expiresAt: this.options.clock.now() + ttlMs });
    return this.lease(holder)!;
  }

  lease(holder: string): LeaseView | undefined {
    const l = this.leases.get(holder);
    if (!l) return undefined;
    const toxics = [...this.leasedToxics].filter(([, h]) => h === holder).map(([k]) => k);
    return { holder, ttlMs: l.ttlMs, expiresAt: l.expiresAt, toxics };
  }

  /** Ends a lease now, removing its toxics: the runner's own clean exit. */
  releaseLease(holder: string): void {
    if (!this.leases.has(holder)) throw apiError('leaseNotFound', holder);
    this.expire(holder);
  }

  /** Removes the toxics of every lease past its expiry; returns the holders expired. */
  sweep(): string[] {
    const now = this.options.clock.now();
    const expired = [...this.leases].filter(([, l]) => l.expiresAt <= now).map(([h]) => h);
    for (const holder of expired) {
      const toxics = this.lease(holder)?.toxics ?? [];
      this.expire(holder);
      this.leasesExpiredTotal++;
      this.options.onEvent?.({ msg: 'lease expired; its toxics were removed', holder, toxics });
    }
    return expired;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sweeper?.cancel();
    for (const name of [...this.proxies.keys()]) await this.remove(name);
  }

  private expire(holder: string): void {
    for (const [key, h] of [...this.leasedToxics]) {
      if (h !== holder) continue;
      const slash = key.indexOf('/');
      this.proxies.get(key.slice(0, slash))?.removeToxic(key.slice(slash + 1));
      this.leasedToxics.delete(key);
    }
    this.leases.delete(holder);
  }

  private scheduleSweep(): void {
    if (this.closed) return;
    this.sweeper = this.options.clock.setTimeout(() => {
      this.sweep();
      this.scheduleSweep();
    }, this.options.sweepEveryMs ?? defaultSweepEveryMs);
  }

  private checkUpstream(upstream: string): void {
    const { host } = parseAddress(upstream, 'upstream');
    if (!isLoopback(host) && !this.allow.has(host.toLowerCase())) throw apiError('targetNotAllowed', host);
  }
}
