import { z } from 'zod';
import { formatPath, parseListenAddress } from '../../core/index.ts';
import { apiError } from './errors.ts';
import { isStream, type Stream } from './toxic.ts';
import { isToxicType, type ToxicType, toxicDefinition } from './toxics/index.ts';

/** A toxic as the Toxiproxy API shows it. */
export interface ToxicSpec {
  name: string;
  type: ToxicType;
  stream: Stream;
  /** Probability in [0, 1] that the toxic applies to a given connection. */
  toxicity: number;
  attributes: Record<string, number>;
}

/** A proxy as the Toxiproxy API shows it (toxics are added by the proxy). */
export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host:port` (also `[::1]:port`, `:port`); a bad address is a 400 "bad request body".
 *
 * @example
 * parseAddress('127.0.0.1:6379', 'upstream'); // { host: '127.0.0.1', port: 6379 }
 */
export function parseAddress(text: string, field: string): HostPort {
  const parsed = parseListenAddress(text);
  if (!parsed) throw apiError('badRequestBody', `${field}: expected "host:port", got "${text}"`);
  return parsed;
}

function record(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw apiError('badRequestBody', 'expected a JSON object');
  return body as Record<string, unknown>;
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw apiError('badRequestBody', `${key}: expected a string`);
  return v;
}

/**
 * Reads a proxy from a create (or populate) body with Toxiproxy's defaults: enabled unless
 * told otherwise, listen on an OS-chosen loopback port when omitted.
 *
 * @example
 * parseProxyInput({ name: 'redis', upstream: '127.0.0.1:6379' }); // listen 127.0.0.1:0, enabled
 */
export function parseProxyInput(body: unknown): ProxySpec {
  const o = record(body);
  const name = optionalString(o, 'name');
  if (!name) throw apiError('missingField', 'name');
  const upstream = optionalString(o, 'upstream');
  if (!upstream) throw apiError('missingField', 'upstream');
  const listen = optionalString(o, 'listen') ?? '127.0.0.1:0';
  if (o['enabled'] !== undefined && typeof o['enabled'] !== 'boolean')
    throw apiError('badRequestBody', 'enabled: expected a boolean');
  parseAddress(listen, 'listen');
  parseAddress(upstream, 'upstream');
  return { name, listen, upstream, enabled: o['enabled'] !== false };
}

/**
 * Reads a proxy update: fields left out keep their value.
 *
 * @example
 * parseProxyUpdate({ enabled: false }, current); // same listen and upstream, disabled
 */
export function parseProxyUpdate(body: unknown, current: ProxySpec): ProxySpec {
  const o = record(body);
  const listen = optionalString(o, 'listen') ?? current.listen;
  const upstream = optionalString(o, 'upstream') ?? current.upstream;
  if (o['enabled'] !== undefined && typeof o['enabled'] !== 'boolean')
    throw apiError('badRequestBody', 'enabled: expected a boolean');
  parseAddress(listen, 'listen');
  parseAddress(upstream, 'upstream');
  return {
    name: current.name,
    listen,
    upstream,
    enabled: typeof o['enabled'] === 'boolean' ? o['enabled'] : current.enabled,
  };
}

function validateAttributes(type: ToxicType, attributes: unknown): Record<string, number> {
  const result = toxicDefinition(type).attributes.safeParse(attributes ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw apiError('badRequestBody', `attributes.${formatPath(issue.path)}: ${issue.message}`);
  }
  return result.data;
}

const toxicityField = z.number().min(0).max(1);

/**
 * Reads a toxic from a create body with Toxiproxy's defaults: stream downstream, toxicity 1,
 * name `<type>_<stream>`; attributes are validated by the toxic's own schema.
 *
 * @example
 * parseToxicInput({ type: 'latency', attributes: { latency: 100 } }); // name latency_downstream, toxicity 1
 */
export function parseToxicInput(body: unknown): ToxicSpec {
  const o = record(body);
  const type = optionalString(o, 'type');
  if (!type) throw apiError('missingField', 'type');
  if (!isToxicType(type)) throw apiError('invalidToxicType', type);
  const stream = o['stream'] ?? 'downstream';
  if (!isStream(stream)) throw apiError('invalidStream');
  const toxicity = o['toxicity'] ?? 1;
  if (!toxicityField.safeParse(toxicity).success)
    throw apiError('badRequestBody', 'toxicity: expected a number from 0 to 1');
  const name = optionalString(o, 'name') || `${type}_${stream}`;
  return {
    name,
    type,
    stream,
    toxicity: toxicity as number,
    attributes: validateAttributes(type, o['attributes']),
  };
}

/**
 * Reads a toxic update: attributes are merged into the current ones; type and name stay.
 *
 * @example
 * parseToxicUpdate({ attributes: { jitter: 5 } }, current); // latency kept, jitter 5
 */
export function parseToxicUpdate(body: unknown, current: ToxicSpec): ToxicSpec {
  const o = record(body);
  const stream = o['stream'] ?? current.stream;
  if (!isStream(stream)) throw apiError('invalidStream');
  const toxicity = o['toxicity'] ?? current.toxicity;
  if (!toxicityField.safeParse(toxicity).success)
    throw apiError('badRequestBody', 'toxicity: expected a number from 0 to 1');
  const given = o['attributes'] === undefined ? {} : record(o['attributes']);
  const attributes = validateAttributes(current.type, { ...current.attributes, ...given });
  return { ...current, stream, toxicity: toxicity as number, attributes };
}
