import { connect, createServer, type Server, type Socket } from 'node:net';
import type { RandomSource } from '../../core/index.ts';
import { type Clock, formatHostPort, VigilError } from '../../core/index.ts';
import { Link, type LinkCounters } from './link.ts';
import { type ProxySpec, parseAddress, type ToxicSpec } from './spec.ts';
import { toxicDefinition } from './toxics/index.ts';

export interface TcpProxyDeps {
  clock: Clock;
  random: RandomSource;
}

/** The proxy as the Toxiproxy API returns it. */
export interface ProxyView extends ProxySpec {
  toxics: ToxicSpec[];
}

/**
 * One named TCP proxy: listens, connects each client to the upstream, and runs the toxics on
 * both directions of every connection. Toxics apply to new and existing connections alike; a
 * toxic's toxicity is drawn per connection from the seeded source.
 */
export class TcpProxy {
  private spec: ProxySpec;
  private readonly toxicList: ToxicSpec[] = [];
  private readonly links = new Set<Link>();
  private server: Server | undefined;
  readonly counters: LinkCounters = { bytes: { upstream: 0, downstream: 0 }, droppedBytes: 0 };
  connectionsTotal = 0;

  constructor(
    spec: ProxySpec,
    private readonly deps: TcpProxyDeps,
  ) {
    this.spec = { ...spec };
  }

  get name(): string {
    return this.spec.name;
  }

  get activeConnections(): number {
    return this.links.size;
  }

  /** Bytes held by toxics across all connections right now (bounded per direction by maxHeldBytes). */
  heldBytes(): number {
    let held = 0;
    for (const link of this.links) {
      for (const d of [link.directions.upstream, link.directions.downstream])
        for (const stage of d.stages) held += stage.held;
    }
    return held;
  }

  view(): ProxyView {
    return { ...this.spec, toxics: this.toxics() };
  }

  toxics(): ToxicSpec[] {
    return this.toxicList.map((t) => ({ ...t, attributes: { ...t.attributes } }));
  }

  toxic(name: string): ToxicSpec | undefined {
    const t = this.toxicList.find((x) => x.name === name);
    return t && { ...t, attributes: { ...t.attributes } };
  }

  /** Starts listening if enabled; the listen address then shows the port the OS chose. */
  async start(): Promise<void> {
    if (!this.spec.enabled || this.server) return;
    const { host, port } = parseAddress(this.spec.listen, 'listen');
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new VigilError(
            'unavailable',
            `proxy ${this.spec.name}: cannot listen on ${this.spec.listen}: ${err.code ?? err.message}`,
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.spec.listen = formatHostPort(host, address.port);
    this.server = server;
  }

  /** Stops listening and drops every connection (Toxiproxy does the same on disable). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of this.links) link.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.links].map((l) => l.finished()));
  }

  /** Applies a new listen/upstream/enabled; a moved listener restarts. */
  async update(next: ProxySpec): Promise<void> {
    const moved = next.listen !== this.spec.listen || next.upstream !== this.spec.upstream;
    if (moved || !next.enabled) await this.stop();
    this.spec = { ...next, name: this.spec.name };
    if (this.spec.enabled) await this.start();
  }

  addToxic(spec: ToxicSpec): void {
    this.toxicList.push(spec);
    for (const link of this.links) this.attach(link, spec, {});
  }

  updateToxic(spec: ToxicSpec): void {
    const i = this.toxicList.findIndex((t) => t.name === spec.name);
    if (i < 0) return;
    const old = this.toxicList[i]!;
    this.toxicList[i] = spec;
    for (const link of this.links) {
      const removed = link.directions[old.stream].remove(old.name);
      this.attach(link, spec, removed?.state ?? {}, old.stream === spec.stream ? removed?.index : undefined);
    }
  }

  removeToxic(name: string): boolean {
    const i = this.toxicList.findIndex((t) => t.name === name);
    if (i < 0) return false;
    const [old] = this.toxicList.splice(i, 1);
    for (const link of this.links) link.directions[old!.stream].remove(name);
    return true;
  }

  removeAllToxics(): void {
    for (const t of [...this.toxicList]) this.removeToxic(t.name);
  }

  private attach(link: Link, spec: ToxicSpec, state: Record<string, number>, index?: number): void {
    // Toxicity is per connection: a draw above it leaves this connection untouched by the toxic.
    if (this.deps.random() >= spec.toxicity) return;
    const toxic = toxicDefinition(spec.type).create(spec.attributes);
    const direction = link.directions[spec.stream];
    const position = index ?? this.positionFor(link, spec);
    direction.add(spec.name, toxic, { random: this.deps.random, state }, position);
  }

  /** Keeps stages in the order their toxics were added, whatever toxicity skipped. */
  private positionFor(link: Link, spec: ToxicSpec): number {
    const direction = link.directions[spec.stream];
    const order = this.toxicList.filter((t) => t.stream === spec.stream).map((t) => t.name);
    const mine = order.indexOf(spec.name);
    let position = 0;
    for (const stage of direction.stages) if (order.indexOf(stage.name) < mine) position++;
    return position;
  }

  private accept(client: Socket): void {
    this.connectionsTotal++;
    client.pause();
    const { host, port } = parseAddress(this.spec.upstream, 'upstream');
    const upstream = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const onEarlyError = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.once('error', onEarlyError);
    client.once('error', onEarlyError);
    upstream.once('connect', () => {
      upstream.off('error', onEarlyError);
      client.off('error', onEarlyError);
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      const link = new Link(client, upstream, this.deps.clock, this.counters);
      this.links.add(link);
      void link.finished().then(() => this.links.delete(link));
      for (const spec of this.toxicList) this.attach(link, spec, {});
      link.start();
      client.resume();
    });
  }
}
