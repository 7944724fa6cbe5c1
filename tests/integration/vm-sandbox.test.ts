import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_RPCS, vmExecCancel, vmExecRun, vmSandboxClose, vmSandboxOpen } from '@steward/contracts';
import { connectBus, decodeBody, type BusClient } from '@steward/messaging';
import { dockerRunning } from '../support/docker.js';
import { busAs, failure } from '../support/bus.js';
import { startStack, type Stack } from '../support/stack.js';

/*
 * vm-service's THREATS section against the real service, once with Docker and once with
 * bubblewrap (STEWARD_SANDBOX_RUNTIME forces each). Every hostile command is followed by proof
 * that the service still answers and the next command runs clean.
 */

const isRoot = process.getuid?.() === 0;
const SECRET = 'sk-ant-test-secret-never-in-a-sandbox';

const RUNTIMES = [
  { runtime: 'docker', available: dockerRunning() },
  { runtime: 'bubblewrap', available: true },
] as const;

for (const { runtime, available } of RUNTIMES) {
  describe.runIf(available)(`sandbox (${runtime})`, () => {
    let stack: Stack;
    let bus: BusClient;
    let page: BusClient;
    let folder: string;
    let execs = 0;
    const taskId = `vm-${runtime}`;

    const run = (command: string, extra: { timeout_ms?: number; cwd?: string } = {}) =>
      bus.request(vmExecRun, { taskId, execId: `${runtime}-${++execs}`, command, ...extra });

    async function expectHealthyAndClean(): Promise<void> {
      const health = await page.request(HEALTH_RPCS['vm-service'], {});
      expect(health.status).not.toBe('down');
      const next = await run("echo clean; df -P /tmp | awk 'NR==2{print $5}'");
      expect(next.exitCode).toBe(0);
      const [word, used] = next.stdout.text.trim().split('\n');
      expect(word).toBe('clean');
      expect(Number.parseInt(used ?? '100', 10)).toBeLessThan(50);
    }

    beforeAll(async () => {
      stack = await startStack({ env: { STEWARD_SANDBOX_RUNTIME: runtime, ANTHROPIC_API_KEY: SECRET } });
      bus = await busAs(stack, 'orchestrator');
      page = await busAs(stack, 'ui');
      folder = mkdtempSync(join(tmpdir(), `steward-vm-${runtime}-`));
      // Commands run as the person who owns the files; under root, Docker takes the folder's owner.
      if (isRoot) chownSync(folder, 1000, 1000);
      writeFileSync(join(folder, 'sales.csv'), 'region,units,price\nNorth,12,2.5\nSouth,7,3\nEast,20,1.25\n');
      const opened = await bus.request(vmSandboxOpen, { taskId, folders: [folder] });
      expect(opened.runtime).toBe(runtime);
    }, 240_000);
    afterAll(async () => {
      await bus?.request(vmSandboxClose, { taskId }).catch(() => undefined);
      await bus?.close();
      await page?.close();
      await stack?.stop();
      if (folder) rmSync(folder, { recursive: true, force: true });
    });

    it('runs a command in the folder, with its exit code, stdout and stderr', async () => {
      const result = await run('pwd; echo oops >&2; exit 3');
      expect(result.exitCode).toBe(3);
      expect(result.stdout.text).toBe(`${folder}\n`);
      expect(result.stderr.text).toBe('oops\n');
      expect(result.output).toContain('Exit code 3.');
    });

    it('leaves files in the connected folder owned by the person running Steward, not root', async () => {
      const result = await run('id -u; echo made > made.txt');
      expect(result.exitCode).toBe(0);
      expect(result.stdout.text.trim()).not.toBe('0');
      const owner = statSync(join(folder, 'made.txt')).uid;
      // Under root, the folder's owner (the test made it 1000); otherwise whoever runs Steward.
      expect(owner).toBe(isRoot ? 1000 : (process.getuid?.() ?? 0));
    });

    it('sees the connected folder and nothing else of the host; the environment holds no secret', async () => {
      const result = await run(
        `ls /root /work /etc/steward 2>&1; test -e ${stack.home} && echo HOME-VISIBLE; ` +
          'test -S /var/run/docker.sock && echo DOCKER-SOCKET; env; cat sales.csv | head -1',
      );
      expect(result.stdout.text).not.toContain('HOME-VISIBLE');
      expect(result.stdout.text).not.toContain('DOCKER-SOCKET');
      expect(result.stdout.text).not.toContain(SECRET);
      expect(result.stdout.text).not.toContain('STEWARD_SANDBOX_AGENT');
      expect(result.stdout.text).toContain('region,units,price');
    });

    it('refuses a working directory outside the connected folders', async () => {
      const error = await failure(run('true', { cwd: '/etc' }));
      expect(error.code).toBe('OUTSIDE_ROOT');
    });

    it('cannot reach the internet, DNS, the host loopback services or link-local addresses', async () => {
      const probe = (host: string, port: number) =>
        `python3 - <<'EOF'\nimport socket\ns = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect((${JSON.stringify(host)}, ${port}))\n    print("CONNECTED")\nexcept Exception as e:\n    print("blocked", type(e).__name__)\nEOF`;
      for (const [host, port] of [
        ['1.1.1.1', 80],
        ['127.0.0.1', stack.natsPort],
        ['127.0.0.1', stack.uiPort],
        ['169.254.169.254', 80],
        // Where the egress forwarder listens when policy allows a proxy; by default it does not.
        ['127.0.0.1', 3128],
      ] as const) {
        const result = await run(probe(host, port));
        expect(result.stdout.text, `${host}:${port}`).toMatch(/^blocked/);
      }
      const proxy = await run(
        'echo "[${HTTP_PROXY-}${HTTPS_PROXY-}${STEWARD_EGRESS_SOCKET-}]"; test -e /run/steward-egress || echo no-socket',
      );
      expect(proxy.stdout.text).toBe('[]\nno-socket\n');
      const dns = await run(
        `python3 -c "import socket\ntry:\n  socket.getaddrinfo('deb.debian.org', 80); print('RESOLVED')\nexcept Exception as e: print('blocked', type(e).__name__)"`,
      );
      expect(dns.stdout.text).toMatch(/^blocked/);
      await expectHealthyAndClean();
    });

    it('contains a fork bomb: the process limit holds, the service answers, the next command is clean', async () => {
      const result = await run(':(){ :|:& };:; sleep 1', { timeout_ms: 10_000 });
      expect(result.durationMs).toBeLessThan(15_000);
      await expectHealthyAndClean();
    }, 60_000);

    it('contains a memory bomb with a clear reason', async () => {
      const result = await run('python3 -c "x = bytearray(4 * 1024 * 1024 * 1024)"', { timeout_ms: 60_000 });
      expect(result.exitCode).not.toBe(0);
      expect(`${result.output}`).toMatch(/memory/i);
      await expectHealthyAndClean();
    }, 120_000);

    it('empties a full /tmp so the next command starts clean', async () => {
      const result = await run('cat /dev/zero > /tmp/fill; echo status $?', { timeout_ms: 60_000 });
      expect(result.stderr.text).toMatch(/No space left/);
      expect(result.notes.join(' ')).toContain('/tmp was full');
      // The connected folder sits under /tmp here: emptying /tmp never reaches into it.
      expect(readFileSync(join(folder, 'sales.csv'), 'utf8')).toContain('region,units,price');
      await expectHealthyAndClean();
    }, 90_000);

    it('stops an endless loop at its time limit', async () => {
      const result = await run('while :; do :; done', { timeout_ms: 1_000 });
      expect(result.timedOut).toBe(true);
      expect(result.output).toContain('time limit');
      await expectHealthyAndClean();
    });

    it('cancels a running command when the task is cancelled', async () => {
      const running = run('sleep 60', { timeout_ms: 120_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const cancelled = await bus.request(vmExecCancel, { taskId });
      expect(cancelled.cancelled).toBe(1);
      const result = await running;
      expect(result.cancelled).toBe(true);
      await expectHealthyAndClean();
    });

    it('caps a gigabyte of output with a marker, keeping head and tail, memory bounded', async () => {
      const result = await run('head -c 1000000000 /dev/zero | tr "\\0" "x"; echo; echo THE-END', {
        timeout_ms: 120_000,
      });
      expect(result.stdout.bytes).toBe(1_000_000_009);
      expect(result.stdout.truncated).toBe(true);
      expect(result.stdout.text).toContain('bytes of output left out');
      expect(result.stdout.text.endsWith('THE-END\n')).toBe(true);
      expect(result.output.length).toBeLessThan(200_000);
      const pid = stack.pid('vm-service');
      const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
      expect(rss).toBeLessThan(400 * 1024 * 1024);
      await expectHealthyAndClean();
    }, 180_000);

    it('turns binary and terminal-escape output into plain text', async () => {
      const result = await run(`printf '\\033[31mred\\033[0m\\033]0;title\\007 \\001\\002\\377 done\\n'`);
      expect(result.stdout.text).toBe('red \ufffd done\n');
    });

    it('streams live output as events while the command runs', async () => {
      const events = await connectBus('ui', stack.credentials('ui'));
      const seen: string[] = [];
      const execId = `${runtime}-live`;
      const subscription = events.subscribe(`events.vm.exec.${execId}.output`, {
        callback: (_error, message) => {
          seen.push((decodeBody(message.data) as { text: string }).text);
        },
      });
      await events.flush();
      await bus.request(vmExecRun, {
        taskId,
        execId,
        command: 'for i in 1 2 3; do echo tick $i; sleep 0.1; done',
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      subscription.unsubscribe();
      await events.close();
      expect(seen.join('')).toBe('tick 1\ntick 2\ntick 3\n');
    });

    it('runs a Python script that turns a CSV into an xlsx with a formula, a docx and a pptx that open', async () => {
      const script = String.raw`
import csv, json, subprocess
from openpyxl import Workbook, load_workbook
from docx import Document
rows = list(csv.DictReader(open("sales.csv")))
wb = Workbook(); ws = wb.active; ws.title = "Sales"
ws.append(["region", "units", "price", "revenue"])
for i, r in enumerate(rows, start=2):
    ws.append([r["region"], int(r["units"]), float(r["price"]), f"=B{i}*C{i}"])
ws.append(["Total", None, None, f"=SUM(D2:D{len(rows)+1})"])
wb.save("report.xlsx")
doc = Document(); doc.add_heading("Sales report", 1)
for r in rows: doc.add_paragraph(f"{r['region']}: {r['units']} units")
doc.save("report.docx")
deck = "const P=require('pptxgenjs');const p=new P();const s=p.addSlide();s.addText(" + json.dumps("Sales: " + ", ".join(r["region"] for r in rows)) + ",{x:1,y:1,w:8,h:1});p.writeFile({fileName:'report.pptx'}).then(()=>console.log('pptx ok'));"
subprocess.run(["node", "-e", deck], check=True)
back = load_workbook("report.xlsx")["Sales"]
print(back["D5"].value, back["D2"].value)
print(" | ".join(p.text for p in Document("report.docx").paragraphs))
`;
      writeFileSync(join(folder, 'make_report.py'), script);
      if (isRoot) chownSync(join(folder, 'make_report.py'), 1000, 1000);
      const result = await run('python3 make_report.py', { timeout_ms: 120_000 });
      expect(result.stderr.text).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout.text).toContain('=SUM(D2:D4) =B2*C2');
      expect(result.stdout.text).toContain(
        'Sales report | North: 12 units | South: 7 units | East: 20 units',
      );
      expect(result.stdout.text).toContain('pptx ok');
      const pptx = readFileSync(join(folder, 'report.pptx'));
      expect(pptx.subarray(0, 2).toString()).toBe('PK');
      const listing = await run(
        "python3 -c \"import zipfile; z = zipfile.ZipFile('report.pptx'); print(z.read('ppt/slides/slide1.xml').decode())\"",
      );
      expect(listing.stdout.text).toContain('Sales: North, South, East');
    }, 180_000);

    it('refuses commands for a task whose sandbox was closed', async () => {
      const other = `${taskId}-closed`;
      const sub = join(folder, 'sub');
      mkdirSync(sub);
      if (isRoot) chownSync(sub, 1000, 1000);
      await bus.request(vmSandboxOpen, { taskId: other, folders: [sub] });
      await bus.request(vmSandboxClose, { taskId: other });
      const error = await failure(
        bus.request(vmExecRun, { taskId: other, execId: 'closed-1', command: 'true' }),
      );
      expect(error.code).toBe('NOT_FOUND');
    });
  });
}
