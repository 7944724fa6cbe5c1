import type { TaskAccess } from '../access/fs-access.js';
import { openInside, type OpenIntent, type OpenedPath } from '../containment/safe-open.js';

/** Opens `requested` for `intent` within the task's access, runs `use`, and always closes. */
export async function withOpened<T>(
  access: TaskAccess,
  requested: string,
  intent: OpenIntent,
  use: (opened: OpenedPath) => Promise<T>,
): Promise<T> {
  const opened = await openInside(access.roots, requested, intent, access.open);
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}

/** One change at a time per path in this process, so Steward's own writers never race each other. */
export class PathLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)].sort();
    const before = Promise.all(unique.map((key) => this.tails.get(key) ?? Promise.resolve()));
    const run = before.then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    for (const key of unique) this.tails.set(key, settled);
    try {
      return await run;
    } finally {
      for (const key of unique) if (this.tails.get(key) === settled) this.tails.delete(key);
    }
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
