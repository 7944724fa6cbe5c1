import { readFileSync } from 'node:fs';

const LISTEN = '0A';

/**
 * The local addresses (kernel hex, e.g. 0100007F = 127.0.0.1) on which something listens on
 * `port`, read from /proc/net/tcp and tcp6: the kernel's answer, not the program's claim.
 */
export function listeningAddresses(port: number): { v4: string[]; v6: string[] } {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const read = (file: string): string[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === LISTEN)
      .map((cols) => cols[1]!.split(':')[0]!);
  return { v4: read('/proc/net/tcp'), v6: read('/proc/net/tcp6') };
}
