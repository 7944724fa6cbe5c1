// The three processes the read benchmark asks for a file: the real fs-service from its build, the
// bare reader (fs.readFile behind a bare NATS subscription), and the official MCP filesystem server
// behind the MCP SDK's stdio client. Each is started cold and timed until it can answer.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { BusCredentials } from '@steward/messaging';
import { fromBareReader, type FromBareReader, type ToBareReader } from './fs-read-bare-protocol.js';
import { stopProcess } from './nats-server.js';
import { cleanEnvironment, killNow, startServiceProcess, tailOf } from './service-process.js';

const START_DEADLINE_MS = 30_000;
/** Output kept from a server, for the error when it fails to start. */
const LOG_TAIL_CHARS = 8_000;
const require = createRequire(import.meta.url);

export interface StartedServer {
  readonly pid: number;
  /** From spawning the process until it answered that it is ready. */
  readonly startMs: number;
  stop(): Promise<void>;
  /** Last resort from a synchronous `exit` handler. */
  killNow(): void;
}

/**
 * fs-service as the supervisor runs it (`node apps/fs-service/dist/main.js`), in a throwaway
 * STEWARD_HOME holding only its bus credentials, with the Prometheus endpoint off so it cannot
 * collide with a stack running on this machine. Ready when it logs that it is.
 */
export async function startFsService(credentials: BusCredentials): Promise<StartedServer> {
  const started = await startServiceProcess({
    service: 'fs-service',
    credentials,
    homePrefix: 'steward-bench-fs-read-',
    startDeadlineMs: START_DEADLINE_MS,
  });
  return {
    pid: started.pid,
    startMs: started.startMs,
    stop: started.stop,
    killNow: () => killNow(started.child),
  };
}

/** The bare reader, connected as the user its protocol names; ready once it has subscribed. */
export async function startBareReader(credentials: BusCredentials): Promise<StartedServer> {
  const entry = fileURLToPath(new URL('./fs-read-bare-responder.js', import.meta.url));
  const started = performance.now();
  const child = fork(entry, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const log = tailOf(child);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the bare reader did not report ready within ${START_DEADLINE_MS} ms`)),
        START_DEADLINE_MS,
      );
      child.once('message', (raw: unknown) => {
        clearTimeout(timer);
        const parsed = fromBareReader.safeParse(raw);
        const message: FromBareReader = parsed.success
          ? parsed.data
          : { type: 'failed', message: `malformed message: ${JSON.stringify(raw)}` };
        if (message.type === 'ready') resolve();
        else reject(new Error(`the bare reader failed: ${message.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the bare reader exited (${code ?? signal}) before it was ready:\n${log()}`));
      });
      child.send({ type: 'listen', credentials } satisfies ToBareReader);
    });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  const startMs = performance.now() - started;
  if (child.pid === undefined) throw new Error('the bare reader has no pid');
  return { pid: child.pid, startMs, stop: () => stopProcess(child), killNow: () => killNow(child) };
}

export interface McpFilesystem extends StartedServer {
  readonly client: Client;
  readonly serverVersion: string;
  /** The read tool it offers: `read_text_file`, or `read_file` on releases before it was renamed. */
  readonly readTool: string;
}

/** The server's bin as its package declares it, run with this Node like fs-service is. */
function mcpServerEntry(): { entry: string; version: string } {
  const manifestPath = require.resolve('@modelcontextprotocol/server-filesystem/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    version?: string;
    bin?: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  if (bin === undefined) throw new Error(`${manifestPath} declares no bin`);
  return { entry: join(dirname(manifestPath), bin), version: manifest.version ?? 'unknown' };
}

/**
 * The official MCP filesystem server over stdio with `root` as its only allowed directory, and the
 * SDK's client connected to it. The client declares no roots capability, so the server keeps the
 * directory it was started with. Ready once the handshake is done and the tool list is known.
 */
export async function startMcpFilesystem(root: string): Promise<McpFilesystem> {
  const { entry, version } = mcpServerEntry();
  const started = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [entry, root],
    env: cleanEnvironment(),
    stderr: 'pipe',
  });
  let stderrTail = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-LOG_TAIL_CHARS);
  });
  const client = new Client({ name: 'steward-bench-fs-read', version: '0.1.0' });
  try {
    await client.connect(transport, { timeout: START_DEADLINE_MS });
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    const readTool = ['read_text_file', 'read_file'].find((name) => names.includes(name));
    if (readTool === undefined)
      throw new Error(`the MCP filesystem server offers no read tool; its tools: ${names.join(', ')}`);
    const startMs = performance.now() - started;
    const pid = transport.pid;
    if (pid === null) throw new Error('the MCP filesystem server has no pid');
    return {
      client,
      serverVersion: version,
      readTool,
      pid,
      startMs,
      stop: () => client.close(),
      killNow: () => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      },
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`the MCP filesystem server did not start: ${detail}\n${stderrTail}`);
  }
}
