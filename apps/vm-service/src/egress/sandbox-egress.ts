import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EGRESS_MOUNT, EGRESS_SOCKET_NAME } from '../runtimes/sandbox-driver.js';
import { EgressProxy, type EgressDecision } from './egress-proxy.js';

/** Where commands inside the sandbox find the proxy: the agent's forwarder on the sandbox's own loopback. */
export const SANDBOX_PROXY_PORT = 3128;
/** The longest unix socket path Linux accepts (sun_path holds 108 bytes with its terminator). */
const MAX_SOCKET_PATH = 107;

/**
 * One sandbox's way out when policy allows egress: an {@link EgressProxy} listening on a unix socket
 * in a folder of its own, bound into the sandbox at {@link EGRESS_MOUNT}. The sandbox still has no
 * network interface but loopback; its agent forwards 127.0.0.1:3128 to the socket, so tools that
 * honour HTTP(S)_PROXY reach the listed hosts and nothing else.
 */
export class SandboxEgress {
  private constructor(
    /** Host folder holding only the proxy's socket; bound into the sandbox. */
    readonly socketDir: string,
    private readonly proxy: EgressProxy,
    /** What to remove when the sandbox ends: the socket's folder, or the private folder around it. */
    private readonly removeDir: string,
  ) {}

  static async open(options: {
    readonly runDir: string;
    /**
     * The host user bubblewrap runs as, when not vm-service's own: it must reach the folder to bind
     * it, so the folder goes where that user (and no other) may enter.
     */
    readonly hostUser?: { readonly uid: number; readonly gid: number } | undefined;
    readonly allowedHosts: () => readonly string[];
    readonly onDecision: (decision: EgressDecision) => void;
  }): Promise<SandboxEgress> {
    const { socketDir, removeDir } = await makeSocketDir(options.runDir, options.hostUser);
    const proxy = new EgressProxy(options.allowedHosts, options.onDecision);
    try {
      const socket = path.join(socketDir, EGRESS_SOCKET_NAME);
      await proxy.listen(socket);
      // Only the sandbox reaches this folder (its parent is closed to everyone but vm-service's
      // user), and the sandbox's user differs from vm-service's when Steward runs as root.
      await chmod(socket, 0o666);
      await chmod(socketDir, 0o755);
      return new SandboxEgress(socketDir, proxy, removeDir);
    } catch (error) {
      await proxy.close().catch(() => undefined);
      await rm(removeDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** What the sandbox's agent and commands need to use the proxy. */
  environment(): { agent: Record<string, string>; commands: Record<string, string> } {
    const proxy = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
    const bypass = 'localhost,127.0.0.1,::1';
    return {
      agent: { STEWARD_EGRESS_SOCKET: `${EGRESS_MOUNT}/${EGRESS_SOCKET_NAME}` },
      commands: {
        HTTP_PROXY: proxy,
        HTTPS_PROXY: proxy,
        http_proxy: proxy,
        https_proxy: proxy,
        NO_PROXY: bypass,
        no_proxy: bypass,
      },
    };
  }

  async close(): Promise<void> {
    await this.proxy.close().catch(() => undefined);
    await rm(this.removeDir, { recursive: true, force: true });
  }
}

/**
 * A fresh folder for one socket inside a folder only vm-service's user (or the sandbox's host user)
 * may enter: Steward's run folder when the path fits a socket address and no other user must reach
 * it, else a private folder under the system's temporary one.
 */
async function makeSocketDir(
  runDir: string,
  hostUser: { readonly uid: number; readonly gid: number } | undefined,
): Promise<{ socketDir: string; removeDir: string }> {
  const name = randomBytes(6).toString('hex');
  const parent = path.join(runDir, 'egress');
  if (hostUser === undefined && path.join(parent, name, EGRESS_SOCKET_NAME).length <= MAX_SOCKET_PATH) {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    await chmod(parent, 0o700);
    const socketDir = path.join(parent, name);
    await mkdir(socketDir, { mode: 0o700 });
    return { socketDir, removeDir: socketDir };
  }
  const removeDir = await mkdtemp(path.join(tmpdir(), 'steward-egress-'));
  if (hostUser !== undefined) await chown(removeDir, hostUser.uid, hostUser.gid);
  const socketDir = path.join(removeDir, name);
  await mkdir(socketDir, { mode: 0o700 });
  return { socketDir, removeDir };
}
