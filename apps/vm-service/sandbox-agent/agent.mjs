// Steward's resident process inside a sandbox. vm-service starts it once per sandbox and sends it
// commands over stdin; it spawns each one and reports output and exit over stdout, so a command
// costs a process spawn, not a `docker exec`. One JSON object per line both ways (see
// apps/vm-service/src/agent/agent-protocol.ts, which validates everything this sends: the agent
// lives inside the sandbox and is trusted no more than the code it runs).
//
// Plain JavaScript for the Node.js of the sandbox image (Debian's, 18 or later); no dependencies.
import { spawn } from 'node:child_process';
import {
  lstatSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const SHELL = '/bin/bash';
/** Output bytes kept per stream from the start, and from the end, of each command. */
const DEFAULT_HEAD = 32 * 1024;
const DEFAULT_TAIL = 32 * 1024;
/** Live output forwarded per command; beyond it only the head and tail come back at the end. */
const DEFAULT_LIVE = 256 * 1024;
const LIVE_CHUNK = 16 * 1024;
/** How long after a command's shell exits its pipes may keep delivering what was already written. */
const DRAIN_MS = 200;
const TMP = '/tmp';
const TMP_FULL_RATIO = 0.95;

const running = new Map();

function send(frame) {
  process.stdout.write(`${JSON.stringify(frame)}\n`);
}

/** Keeps the first `headBytes` and the last `tailBytes` of a stream, counting the rest. */
class Capture {
  constructor(headBytes, tailBytes) {
    this.headBytes = headBytes;
    this.tailBytes = tailBytes;
    this.head = [];
    this.headSize = 0;
    this.tail = [];
    this.tailSize = 0;
    this.total = 0;
  }

  push(chunk) {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headSize < this.headBytes) {
      const take = rest.subarray(0, this.headBytes - this.headSize);
      this.head.push(take);
      this.headSize += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0 || this.tailBytes === 0) return;
    this.tail.push(rest);
    this.tailSize += rest.length;
    while (this.tailSize - (this.tail[0]?.length ?? 0) >= this.tailBytes)
      this.tailSize -= this.tail.shift().length;
  }

  result() {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailBytes) tail = tail.subarray(tail.length - this.tailBytes);
    return {
      head: Buffer.concat(this.head).toString('base64'),
      tail: tail.toString('base64'),
      total: this.total,
    };
  }
}

/** Every process of the session `sid` (the command and whatever it started), read from /proc. */
function sessionMembers(sid) {
  const members = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces and parentheses: state ppid pgrp session.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid) members.push(Number(name));
    } catch {
      // Gone already.
    }
  }
  return members;
}

function killSession(sid) {
  for (let round = 0; round < 3; round += 1) {
    try {
      process.kill(-sid, 'SIGKILL');
    } catch {
      // The group may be empty.
    }
    const left = sessionMembers(sid);
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/**
 * Only inside a sandbox's own PID namespace, where the agent's parent is the namespace's init and
 * vm-service said so: there, everything else is what commands started.
 */
const IN_SANDBOX = process.env.STEWARD_SANDBOX_AGENT === '1' && process.ppid === 1;

/** With nothing else running, nothing the commands started may outlive them (setsid included). */
function killEverythingElse() {
  if (running.size > 0 || !IN_SANDBOX) return;
  try {
    process.kill(-1, 'SIGKILL');
  } catch {
    // Nothing else to signal.
  }
}

/**
 * Removes what `dir` holds on the file system `dev`, never crossing into another one: a connected
 * folder may be mounted under /tmp, and it is the person's, not scratch space.
 */
function removeWithin(dir, dev) {
  for (const name of readdirSync(dir)) {
    const entry = `${dir}/${name}`;
    let info;
    try {
      info = lstatSync(entry);
    } catch {
      continue;
    }
    if (info.dev !== dev) continue;
    try {
      if (info.isDirectory()) {
        removeWithin(entry, dev);
        rmdirSync(entry);
      } else {
        unlinkSync(entry);
      }
    } catch {
      // Held by a mount below it, or gone already.
    }
  }
}

/** A full /tmp would break every later command of the task: empty it and say so. */
function relieveTmp(notes) {
  try {
    const stats = statfsSync(TMP);
    const used = 1 - stats.bavail / stats.blocks;
    if (stats.blocks === 0 || used < TMP_FULL_RATIO) return;
    removeWithin(TMP, lstatSync(TMP).dev);
    notes.push(`/tmp was full (${Math.round(used * 100)}%); it has been emptied`);
  } catch {
    // /tmp is not a separate file system here.
  }
}

function run(frame) {
  const { id, cmd, cwd, env } = frame;
  if (running.has(id)) {
    send({ t: 'fail', id, message: `a command with id ${id} is already running` });
    return;
  }
  const started = Date.now();
  const headBytes = frame.headBytes ?? DEFAULT_HEAD;
  const tailBytes = frame.tailBytes ?? DEFAULT_TAIL;
  let liveLeft = frame.liveBytes ?? DEFAULT_LIVE;
  const captures = { o: new Capture(headBytes, tailBytes), e: new Capture(headBytes, tailBytes) };
  let child;
  try {
    child = spawn(SHELL, ['-c', cmd], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    send({ t: 'fail', id, message: String(error?.message ?? error) });
    return;
  }
  const state = { child, timedOut: false, killed: false, finished: false, timer: undefined };
  running.set(id, state);
  child.once('error', (error) => {
    if (state.finished) return;
    state.finished = true;
    running.delete(id);
    clearTimeout(state.timer);
    send({
      t: 'fail',
      id,
      message: error.code === 'ENOENT' ? `working directory ${cwd} does not exist` : error.message,
    });
  });
  if (child.pid === undefined) return;
  // The kernel's out-of-memory killer takes the command before the agent that reports on it.
  try {
    writeFileSync(`/proc/${child.pid}/oom_score_adj`, '1000');
  } catch {
    // Not permitted here; the memory limit still holds.
  }
  send({ t: 'started', id, pid: child.pid });
  const onData = (stream) => (chunk) => {
    captures[stream].push(chunk);
    if (liveLeft <= 0) return;
    for (let at = 0; at < chunk.length && liveLeft > 0; at += LIVE_CHUNK) {
      const piece = chunk.subarray(at, Math.min(chunk.length, at + LIVE_CHUNK, at + liveLeft));
      liveLeft -= piece.length;
      send({ t: 'out', id, s: stream, d: piece.toString('base64') });
    }
  };
  child.stdout.on('data', onData('o'));
  child.stderr.on('data', onData('e'));
  if (frame.timeoutMs > 0) {
    state.timer = setTimeout(() => {
      state.timedOut = true;
      killSession(child.pid);
    }, frame.timeoutMs);
  }
  let pipesOpen = 2;
  let exited;
  let drainTimer;
  const finish = () => {
    clearTimeout(drainTimer);
    killSession(child.pid);
    child.stdout.destroy();
    child.stderr.destroy();
    if (state.finished) return;
    state.finished = true;
    running.delete(id);
    killEverythingElse();
    const notes = [];
    relieveTmp(notes);
    send({
      t: 'exit',
      id,
      code: exited.code,
      signal: exited.signal,
      timedOut: state.timedOut,
      killed: state.killed,
      ms: Date.now() - started,
      out: captures.o.result(),
      err: captures.e.result(),
      notes,
    });
  };
  const pipeClosed = () => {
    pipesOpen -= 1;
    if (pipesOpen === 0 && exited !== undefined) finish();
  };
  child.stdout.once('close', pipeClosed);
  child.stderr.once('close', pipeClosed);
  child.once('exit', (code, signal) => {
    clearTimeout(state.timer);
    exited = { code, signal };
    if (pipesOpen === 0) finish();
    // Background processes holding the pipes open must not hold the answer: what was written
    // drains briefly, then the session ends and the pipes close.
    else drainTimer = setTimeout(finish, DRAIN_MS);
  });
}

function kill(frame) {
  const state = running.get(frame.id);
  if (state === undefined || state.child.pid === undefined) return;
  state.killed = true;
  killSession(state.child.pid);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on('line', (line) => {
  let frame;
  try {
    frame = JSON.parse(line);
  } catch {
    send({ t: 'fail', id: '', message: 'unreadable frame' });
    return;
  }
  if (frame.t === 'run') run(frame);
  else if (frame.t === 'kill') kill(frame);
  else if (frame.t === 'ping') send({ t: 'pong', id: frame.id });
});
// vm-service went away: nothing in the sandbox may outlive it.
lines.on('close', () => {
  for (const state of running.values()) if (state.child.pid !== undefined) killSession(state.child.pid);
  process.exit(0);
});
process.on('SIGTERM', () => process.exit(0));

/**
 * When policy lets the sandbox out, vm-service binds its egress proxy's socket in: the sandbox's own
 * loopback port 3128 (HTTP(S)_PROXY in every command's environment) leads there and nowhere else.
 */
function forwardEgress(socketPath) {
  return new Promise((resolve) => {
    const server = createServer((client) => {
      const upstream = connect(socketPath);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once('error', close);
      upstream.once('error', close);
      client.once('close', close);
      upstream.once('close', close);
    });
    server.once('error', (error) => {
      process.stderr.write(`egress forwarder: ${error.message}\n`);
      resolve();
    });
    server.listen(3128, '127.0.0.1', () => resolve());
  });
}

const egressSocket = process.env.STEWARD_EGRESS_SOCKET;
if (egressSocket) await forwardEgress(egressSocket);

send({ t: 'ready', pid: process.pid, node: process.version });
