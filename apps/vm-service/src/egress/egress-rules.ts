import { BlockList, isIP } from 'node:net';

/**
 * Which destinations the egress proxy lets a sandbox reach: the hosts managed policy lists in
 * `sandbox.egressHosts` (`example.com`, `*.example.com` for its subdomains, either with `:port`),
 * and never an address inside this machine or its networks unless policy names that address itself.
 */

const DEFAULT_PORTS = new Set([80, 443]);

export interface EgressTarget {
  readonly host: string;
  readonly port: number;
}

interface HostRule {
  readonly pattern: string;
  readonly suffix: string | undefined;
  readonly exact: string | undefined;
  readonly port: number | undefined;
}

function parseRule(pattern: string): HostRule {
  const match = /^(.*?)(?::(\d{1,5}))?$/.exec(pattern.trim().toLowerCase());
  const host = match?.[1] ?? '';
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  return host.startsWith('*.')
    ? { pattern, suffix: host.slice(1), exact: undefined, port }
    : { pattern, suffix: undefined, exact: host, port };
}

/** The policy entry that allows `target`, if one does. */
export function allowingRule(target: EgressTarget, patterns: readonly string[]): string | undefined {
  const host = target.host.toLowerCase().replace(/\.$/, '');
  for (const rule of patterns.map(parseRule)) {
    const portOk = rule.port === undefined ? DEFAULT_PORTS.has(target.port) : rule.port === target.port;
    if (!portOk) continue;
    if (rule.exact !== undefined && rule.exact === host) return rule.pattern;
    if (rule.suffix !== undefined && host.endsWith(rule.suffix) && host.length > rule.suffix.length) {
      return rule.pattern;
    }
  }
  return undefined;
}

const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast, reserved. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return INTERNAL.check(mapped, 'ipv4');
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether the proxy may connect to `address` for `target` allowed by `rule`: an internal address
 * only when the rule names exactly that address (an administrator allowing a local service on
 * purpose), never because a name happened to resolve there.
 */
export function mayConnect(address: string, target: EgressTarget, rule: string): boolean {
  if (!isInternalAddress(address)) return true;
  const named = parseRule(rule).exact;
  return named !== undefined && isIP(named) !== 0 && named === address && isIP(target.host) !== 0;
}
