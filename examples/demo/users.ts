import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../../core/index.ts';

/** The demo's users. Few enough to read in a terminal, enough for a traffic mix. */
export const defaultUserNames = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;

/** A user and the bearer token that acts as them. Tokens are made fresh at every start. */
export interface DemoUser {
  name: string;
  token: string;
}

/** One fresh token per user, from the OS random source (tokens are credentials, not test data). */
export function generateUsers(names: readonly string[] = defaultUserNames): DemoUser[] {
  return names.map((name) => ({ name, token: `${name}-${randomBytes(12).toString('hex')}` }));
}

const stateSchema = z.object({
  users: z.record(
    z.string(),
    z.object({ generation: z.number().int().nonnegative(), deletedAt: z.string().optional() }),
  ),
});

export type UserState = z.infer<typeof stateSchema>;

/**
 * The erase generation of every user, kept in `<data-dir>/users.json` so that a restart does not
 * bring photos of a deleted user back to life before the GC has removed them.
 */
export class UserGenerations {
  private state: UserState = { users: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Loads `<dataDir>/users.json` (absent means every user at generation 0). */
  static async open(dataDir: string): Promise<UserGenerations> {
    const generations = new UserGenerations(join(dataDir, 'users.json'));
    let text: string | undefined;
    try {
      text = await readFile(generations.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new VigilError('config', `${generations.file}: not valid JSON: ${(err as Error).message}`);
      }
      const result = stateSchema.safeParse(parsed);
      if (!result.success) {
        throw new VigilError(
          'config',
          `${generations.file}: expected {"users": {"<name>": {"generation": n}}}`,
        );
      }
      generations.state = result.data;
    }
    return generations;
  }

  /** The current generation of `user`: photos under older generations are erased. */
  current(user: string): number {
    return this.state.users[user]?.generation ?? 0;
  }

  /** A copy of every user's current generation, for the GC's plan. */
  snapshot(): Map<string, number> {
    return new Map(Object.entries(this.state.users).map(([name, u]) => [name, u.generation]));
  }

  /**
   * Erases a user's photos: bumps the generation at once (reads stop seeing them) and persists
   * it before returning, so the erase survives a crash. Returns the generation that was erased.
   */
  async erase(user: string, at: Date): Promise<{ erased: number; current: number }> {
    const erased = this.current(user);
    this.state.users[user] = { generation: erased + 1, deletedAt: at.toISOString() };
    await this.persist();
    return { erased, current: erased + 1 };
  }

  private persist(): Promise<void> {
    // Writes are chained so two erasures never interleave; rename makes each write atomic.
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
