import { type Dirent, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * A small glob for log paths: `*` and `?` within a path segment, `**` for any depth, `{a,b}`
 * alternatives. Node 20 has no fs.glob, and log paths need nothing more.
 */

function segmentToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(',')
          .map((a) =>
            a
              .replace(/[.+^$()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('|')})`;
        i = close;
      }
    } else re += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  }
  return re;
}

/**
 * Compiles a glob to a regular expression over whole paths.
 *
 * @example
 * globToRegExp('/var/log/pods/*\/*\/*.log').test('/var/log/pods/ns_p_uid/c/0.log'); // true
 */
export function globToRegExp(glob: string): RegExp {
  const parts = glob.split('/');
  const re = parts.map((p) => (p === '**' ? '(?:[^/]+/)*' : `${segmentToRegex(p)}/`)).join('');
  return new RegExp(`^${re.slice(0, -1).replace(/\(\?:\[\^\/\]\+\/\)\*$/, '.*')}$`);
}

/** The directory before the first wildcard: where the walk starts. */
function staticPrefix(glob: string): string {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?{]/.test(p)) break;
    fixed.push(p);
  }
  if (fixed.length === parts.length) fixed.pop();
  return fixed.join('/') || (glob.startsWith('/') ? '/' : '.');
}

/** Depth limit of `**` walks: log trees are shallow, and a symlink loop must not hang the agent. */
const maxDepth = 12;

/**
 * Files matching any of the globs, sorted. Unreadable directories are skipped.
 *
 * @example
 * expandGlobs(['/var/log/nginx/*.log']);
 */
export function expandGlobs(globs: readonly string[], exclude: readonly string[] = []): string[] {
  const out = new Set<string>();
  const excludes = exclude.map(globToRegExp);
  for (const glob of globs) {
    const re = globToRegExp(glob);
    const walk = (dir: string, depth: number) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const path = dir === '/' ? `/${e.name}` : join(dir, e.name).split(sep).join('/');
        if (e.isDirectory()) {
          if (depth < maxDepth) walk(path, depth + 1);
        } else if (
          (e.isFile() || e.isSymbolicLink()) &&
          re.test(path) &&
          !excludes.some((x) => x.test(path))
        ) {
          out.add(path);
        }
      }
    };
    walk(staticPrefix(glob), 0);
  }
  return [...out].sort();
}
