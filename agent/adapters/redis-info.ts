import type { Redis } from 'ioredis';
import type { MetricFamily } from '../../core/index.ts';
import { failFastRedis, redisCall } from '../redis-client.ts';
import { type Adapter, family } from './adapter.ts';

/**
 * Redis `INFO` as Prometheus metrics, under redis_exporter's names for the common fields
 * (so its dashboards and alerts work unchanged): `redis_up`, `redis_connected_clients`,
 * `redis_memory_used_bytes`, `redis_commands_processed_total`, `redis_db_keys{db}`,
 * `redis_commands_total{cmd}`, ... The mapping from INFO fields is a table below; parsing is
 * pure (`infoToFamilies`).
 */

type Kind = 'gauge' | 'counter';
/** INFO field -> [metric name, type, help]. Names as oliver006/redis_exporter exports them. */
const fieldMap: Record<string, [string, Kind, string]> = {
  uptime_in_seconds: ['redis_uptime_in_seconds', 'gauge', 'Seconds since the server started.'],
  connected_clients: ['redis_connected_clients', 'gauge', 'Client connections.'],
  blocked_clients: ['redis_blocked_clients', 'gauge', 'Clients blocked in a blocking call.'],
  maxclients: ['redis_config_maxclients', 'gauge', 'maxclients setting.'],
  used_memory: ['redis_memory_used_bytes', 'gauge', 'Memory allocated by Redis.'],
  used_memory_rss: ['redis_memory_used_rss_bytes', 'gauge', 'Resident memory of the process.'],
  used_memory_peak: ['redis_memory_used_peak_bytes', 'gauge', 'Peak allocated memory.'],
  maxmemory: ['redis_memory_max_bytes', 'gauge', 'maxmemory setting.'],
  mem_fragmentation_ratio: ['redis_mem_fragmentation_ratio', 'gauge', 'RSS / used memory.'],
  rdb_changes_since_last_save: [
    'redis_rdb_changes_since_last_save',
    'gauge',
    'Writes since the last RDB save.',
  ],
  rdb_last_save_time: [
    'redis_rdb_last_save_timestamp_seconds',
    'gauge',
    'Time of the last successful RDB save.',
  ],
  total_connections_received: ['redis_connections_received_total', 'counter', 'Connections accepted.'],
  total_commands_processed: ['redis_commands_processed_total', 'counter', 'Commands processed.'],
  rejected_connections: ['redis_rejected_connections_total', 'counter', 'Connections refused (maxclients).'],
  total_net_input_bytes: ['redis_net_input_bytes_total', 'counter', 'Bytes read from the network.'],
  total_net_output_bytes: ['redis_net_output_bytes_total', 'counter', 'Bytes written to the network.'],
  expired_keys: ['redis_expired_keys_total', 'counter', 'Keys expired.'],
  evicted_keys: ['redis_evicted_keys_total', 'counter', 'Keys evicted under maxmemory.'],
  keyspace_hits: ['redis_keyspace_hits_total', 'counter', 'Successful key lookups.'],
  keyspace_misses: ['redis_keyspace_misses_total', 'counter', 'Failed key lookups.'],
  connected_slaves: ['redis_connected_slaves', 'gauge', 'Connected replicas.'],
  master_repl_offset: ['redis_master_repl_offset', 'gauge', 'Replication offset of the master.'],
  instantaneous_ops_per_sec: [
    'redis_instantaneous_ops_per_sec',
    'gauge',
    'Commands per second (Redis estimate).',
  ],
  aof_enabled: ['redis_aof_enabled', 'gauge', 'AOF is on.'],
  used_cpu_sys: ['redis_cpu_sys_seconds_total', 'counter', 'System CPU consumed.'],
  used_cpu_user: ['redis_cpu_user_seconds_total', 'counter', 'User CPU consumed.'],
};

/**
 * Parses INFO text into families.
 *
 * @example
 * infoToFamilies('# Clients\r\nconnected_clients:3\r\n'); // [{ name: 'redis_connected_clients', ... value 3 }, ...]
 */
export function infoToFamilies(info: string): MetricFamily[] {
  const fields = new Map<string, string>();
  const dbs: Array<{ db: string; keys: number; expires: number }> = [];
  const cmds: Array<{ cmd: string; calls: number; usec: number }> = [];
  for (const raw of info.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (/^db\d+$/.test(key)) {
      const kv = Object.fromEntries(value.split(',').map((p) => p.split('=') as [string, string]));
      dbs.push({ db: key, keys: Number(kv.keys ?? 0), expires: Number(kv.expires ?? 0) });
    } else if (key.startsWith('cmdstat_')) {
      const kv = Object.fromEntries(value.split(',').map((p) => p.split('=') as [string, string]));
      cmds.push({
        cmd: key.slice('cmdstat_'.length),
        calls: Number(kv.calls ?? 0),
        usec: Number(kv.usec ?? 0),
      });
    } else fields.set(key, value);
  }
  const out: MetricFamily[] = [
    family('redis_up', 'gauge', 'Whether the last INFO succeeded.', [{ value: 1 }]),
  ];
  out.push(
    family('redis_instance_info', 'gauge', 'Information about the Redis instance.', [
      {
        value: 1,
        labels: {
          role: fields.get('role') ?? '',
          redis_version: fields.get('redis_version') ?? '',
          redis_mode: fields.get('redis_mode') ?? '',
          os: fields.get('os') ?? '',
        },
      },
    ]),
  );
  for (const [key, [name, type, help]] of Object.entries(fieldMap)) {
    const v = fields.get(key);
    if (v === undefined) continue;
    const n = Number(v);
    if (Number.isFinite(n)) out.push(family(name, type, help, [{ value: n }]));
  }
  if (dbs.length > 0) {
    out.push(
      family(
        'redis_db_keys',
        'gauge',
        'Keys per database.',
        dbs.map((d) => ({ labels: { db: d.db }, value: d.keys })),
      ),
    );
    out.push(
      family(
        'redis_db_keys_expiring',
        'gauge',
        'Keys with an expiry per database.',
        dbs.map((d) => ({ labels: { db: d.db }, value: d.expires })),
      ),
    );
  }
  if (cmds.length > 0) {
    out.push(
      family(
        'redis_commands_total',
        'counter',
        'Calls per command.',
        cmds.map((c) => ({ labels: { cmd: c.cmd }, value: c.calls })),
      ),
    );
    out.push(
      family(
        'redis_commands_duration_seconds_total',
        'counter',
        'Time spent per command.',
        cmds.map((c) => ({ labels: { cmd: c.cmd }, value: c.usec / 1e6 })),
      ),
    );
  }
  return out;
}

export function redisInfoAdapter(options: { name: string; url: string }): Adapter {
  let client: Redis | undefined;
  return {
    name: options.name,
    async collect(signal) {
      if (!client) client = failFastRedis(options.url);
      try {
        const info = await redisCall(client, signal, (c) => c.info('all'));
        return infoToFamilies(info);
      } catch (err) {
        client.disconnect();
        client = undefined;
        throw err;
      }
    },
    async close() {
      client?.disconnect();
      client = undefined;
    },
  };
}
