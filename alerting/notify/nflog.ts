import { join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../../core/index.ts';
import { readStateFile, writeStateFile } from './state-file.ts';

/**
 * The notification log, Alertmanager's nflog: for each group key and receiver, which alerts
 * were firing and which resolved in the last notification, and when it was sent. The
 * dispatcher asks it whether a group needs a notification now (`needsUpdate`, Alertmanager's
 * DedupStage), so a group is not re-sent before its repeat_interval, also after a restart:
 * the log lives in DATA_DIR/notify/nflog.json. Entries expire after the retention.
 */

/** Alertmanager's default --data.retention, which also bounds nflog entries. */
export const nflogRetentionMs = 120 * 3_600_000;

export interface NflogEntry {
  groupKey: string;
  receiver: string;
  /** Fingerprints firing in the last notification. */
  firing: string[];
  /** Fingerprints resolved in the last notification. */
  resolved: string[];
  /** When it was accepted for delivery (ms). */
  timestamp: number;
  expiresAt: number;
}

/**
 * Whether a group needs a notification, given the last one sent and the alerts now firing
 * and resolved (fingerprints). Alertmanager's DedupStage.needsUpdate, rule for rule:
 * a group never notified is sent when something fires; a new firing alert is sent at once;
 * a group whose alerts all resolved is sent only if the receiver was told some were firing;
 * newly resolved alerts are sent if the receiver wants resolved notices; otherwise only
 * once repeat_interval has passed.
 *
 * @example
 * needsUpdate(undefined, new Set(['a']), new Set(), true, now, 4 * 3_600_000); // true
 */
export function needsUpdate(
  entry: Pick<NflogEntry, 'firing' | 'resolved' | 'timestamp'> | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  sendResolved: boolean,
  now: number,
  repeatIntervalMs: number,
): boolean {
  if (!entry) return firing.size > 0;
  const previous = new Set(entry.firing);
  for (const fp of firing) if (!previous.has(fp)) return true;
  if (firing.size === 0) return entry.firing.length > 0;
  if (sendResolved) {
    const told = new Set(entry.resolved);
    for (const fp of resolved) if (!told.has(fp)) return true;
  }
  return entry.timestamp < now - repeatIntervalMs;
}

const fileSchema = z.object({
  version: z.literal(1),
  entries: z.array(
    z.object({
      groupKey: z.string(),
      receiver: z.string(),
      firing: z.array(z.string()),
      resolved: z.array(z.string()),
      timestamp: z.number(),
      expiresAt: z.number(),
    }),
  ),
});

export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();
  private readonly file: string | undefined;
  private pending = false;
  /** The last write failed: the file is older than the log until a write succeeds. */
  private unwritten = false;
  /** Writes of the log that failed; a metric. */
  writeErrors = 0;

  /**
   * Opens the log kept in the data directory (in memory when dataDir is undefined).
   *
   * @example
   * const log = new NotificationLog('data');
   * log.query(groupKey, 'pager');
   */
  constructor(
    dataDir: string | undefined,
    private readonly retentionMs = nflogRetentionMs,
  ) {
    this.file = dataDir === undefined ? undefined : join(dataDir, 'notify', 'nflog.json');
    if (!this.file) return;
    const data = readStateFile(this.file);
    if (data === undefined) return;
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success)
      throw new VigilError(
        'config',
        `${this.file}: not a vigil notification log; move it away to start afresh`,
      );
    for (const e of parsed.data.entries) this.entries.set(entryKey(e.groupKey, e.receiver), e);
  }

  query(groupKey: string, receiver: string): NflogEntry | undefined {
    return this.entries.get(entryKey(groupKey, receiver));
  }

  /**
   * Records a notification accepted for delivery. The file is written once for all the
   * groups that flush in the same turn of the event loop: with `group_by: ['...']` many groups
   * flush together, and a write each would rewrite the whole log once per group.
   * A crash before that write means a notification may be sent again after the restart,
   * which receivers absorb by its dedup key; never that one is lost.
   */
  log(groupKey: string, receiver: string, firing: string[], resolved: string[], now: number): void {
    this.entries.set(entryKey(groupKey, receiver), {
      groupKey,
      receiver,
      firing: [...firing].sort(),
      resolved: [...resolved].sort(),
      timestamp: now,
      expiresAt: now + this.retentionMs,
    });
    this.gc(now);
    if (this.file && !this.pending) {
      this.pending = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Writes pending changes now (at close, before a config reload hands over); a failure is
   * counted and the write is tried again at the next flush, also when nothing was logged since.
   */
  flush(): void {
    if (!this.file || (!this.pending && !this.unwritten)) return;
    this.pending = false;
    try {
      writeStateFile(this.file, { version: 1, entries: [...this.entries.values()] });
      this.unwritten = false;
    } catch {
      this.writeErrors++;
      this.unwritten = true;
    }
  }

  /** Drops expired entries. */
  gc(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}

// JSON keeps the pair unambiguous whatever characters the two hold.
const entryKey = (groupKey: string, receiver: string) => JSON.stringify([groupKey, receiver]);
