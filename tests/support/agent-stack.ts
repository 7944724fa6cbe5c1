import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BusClient } from '@steward/messaging';
import { ModelServer } from '@steward/testing';
import { busAs } from './bus.js';
import { startStack, type Stack } from './stack.js';
import { ModelScript } from './tasks.js';

const isRoot = process.getuid?.() === 0;

/** A whole stack whose orchestrator talks to a local model server, as the agent tests need it. */
export interface AgentStack {
  readonly server: ModelServer;
  readonly stack: Stack;
  /** The page's view of the bus (the `ui` user). */
  readonly page: BusClient;
  readonly script: ModelScript;
  /**
   * A fresh folder holding `files`. Under root it belongs to uid 1000: sandboxed commands run as
   * the folder's owner, never root.
   */
  folder(files?: Record<string, string>, prefix?: string): string;
  /** What the model server found wrong (requests nothing was scripted for) since the last call. */
  newProblems(): string[];
  close(): Promise<void>;
}

export async function startAgentStack(options: {
  readonly apiKey: string;
  /** More environment for the stack (given the model server, for its addresses); the model settings are set already. */
  readonly env?: (server: ModelServer) => Record<string, string>;
}): Promise<AgentStack> {
  const server = await ModelServer.start({ apiKey: options.apiKey });
  const script = new ModelScript();
  server.respondWith(script.handler);
  const folders: string[] = [];
  let stack: Stack | undefined;
  let page: BusClient | undefined;
  try {
    stack = await startStack({
      env: {
        ANTHROPIC_API_KEY: options.apiKey,
        ANTHROPIC_BASE_URL: server.url,
        STEWARD_MODEL: 'claude-sonnet-4-6',
        ...options.env?.(server),
      },
    });
    page = await busAs(stack, 'ui');
  } catch (error) {
    await stack?.stop();
    await server.close();
    throw error;
  }
  let problemsSeen = 0;
  return {
    server,
    stack,
    page,
    script,
    folder(files = {}, prefix = 'steward-task-') {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), content);
      }
      if (isRoot) chownSync(dir, 1000, 1000);
      folders.push(dir);
      return dir;
    },
    newProblems() {
      const fresh = server.problems.slice(problemsSeen);
      problemsSeen = server.problems.length;
      return fresh;
    },
    async close() {
      await page?.close();
      await stack?.stop();
      await server.close();
      for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    },
  };
}
