import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotificationLog } from '../../../alerting/notify/nflog.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-nflog-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('notification log writes', () => {
  // A config reload hands the log over through its file: a write that failed earlier must not
  // leave flush() believing the file is current.
  it('tries a failed write again at the next flush, with nothing new logged', () => {
    const file = join(dir, 'notify', 'nflog.json');
    const log = new NotificationLog(dir);
    // A directory where the file goes: the write's final rename fails, whoever runs the test.
    mkdirSync(file, { recursive: true });
    log.log('{}:{alertname="A"}', 'pager', ['fp1'], [], 1000);
    log.flush();
    expect(log.writeErrors).toBe(1);
    rmSync(file, { recursive: true });
    log.flush();
    expect(log.writeErrors).toBe(1);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] };
    expect(saved.entries).toHaveLength(1);
  });
});
