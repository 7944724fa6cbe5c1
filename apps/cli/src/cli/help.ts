import type { CommandName } from './args.js';

const OVERVIEW = `steward — an on-device agent workspace

Usage: steward <command> [options]

Commands:
  up [--detach]        Start nats-server and the six services, then print the UI address.
                       Runs in the foreground (Ctrl-C stops everything) unless --detach.
  down                 Stop the stack started from this STEWARD_HOME.
  status [--json]      Show each process, its pid and its health.
  doctor [--json]      Check this machine's requirements and print how to install what is missing.
  policy show [--json] Print the policy in force and where each value comes from.
  run "<prompt>" --folder <dir> [--model <m>] [--auto] [--approve ask|deny] [--json]
                       Run a task without the browser: live progress, the answer streamed,
                       approvals asked in the terminal ("steward help run").
  sandbox build [--office] [--force] [--json]
                       Build the sandbox image (Debian packages, offline from a mirror; root).
  sandbox prune [--dry-run] [--json]
                       Remove sandbox image versions and Docker images other than the current one.
  test [--quick]       Set up what the tests need, then lint, type check and run every test.
  help [command]       Show help for a command.

Options:
  -h, --help           Show help.
  -v, --version        Print the version.

Environment:
  STEWARD_HOME                 Where secrets, data and logs live (default ~/.steward).
  STEWARD_PORT                 The UI's HTTP port on 127.0.0.1 (default 7420).
  STEWARD_NATS_PORT            The bus port on 127.0.0.1 (default 7422).
  STEWARD_METRICS_PORT_BASE    First Prometheus port (default 9464); 0 turns metrics endpoints off.
  STEWARD_MANAGED_SETTINGS_DIR A folder to read managed (organization) policy from instead of the system one.
  OTEL_EXPORTER_OTLP_ENDPOINT  Where to send traces and metrics (OTLP over HTTP).
  STEWARD_SANDBOX_CACHE        Where sandbox images are kept (default ~/.cache/steward/sandbox).
  STEWARD_SANDBOX_BUILD        "skip" keeps up and test from building a missing sandbox image.

Exit codes: 0 ok, 1 failure, 2 usage error, 3 not running (status, run);
run also: 1 the task failed, 3 it was interrupted, 130 it was cancelled (Ctrl-C).`;

const COMMANDS: Readonly<Record<CommandName, string>> = {
  up: `Usage: steward up [--detach]

Checks the machine (as "steward doctor" does; on Debian/Ubuntu as root it installs missing required
packages with apt-get), writes fresh bus credentials into $STEWARD_HOME/run, starts nats-server and
the six services under a supervisor that restarts any that exit, waits until every service reports
ok (at most 90 s) and prints the address to open, with its token. Before starting, it makes sure
the sandbox image is built (as "steward sandbox build" does; only as root, and not when
STEWARD_SANDBOX_BUILD=skip) and imported into Docker when the engine runs.

Options:
  -d, --detach   Run the supervisor in the background and return once the stack is healthy.
                 Its own log is $STEWARD_HOME/logs/supervisor.log.`,
  down: `Usage: steward down

Stops the supervisor of this STEWARD_HOME, which stops every service and nats-server, then makes
sure no process of this stack is left and its ports are closed. Exits 0 when nothing was running.`,
  status: `Usage: steward status [--json]

Shows the supervisor, nats-server and each service: pid, whether it is alive, and its health as the
UI reports it. Exit code 0 when all is ok, 1 when something is degraded or down, 3 when the stack
is not running.`,
  doctor: `Usage: steward doctor [--json]

Checks Node.js, nats-server (required), a sandbox runtime (Docker engine reachable, or bubblewrap
that works; one is required), chromium (optional, browser tests) and ripgrep (optional,
benchmarks), and prints the command that installs each missing one on Debian/Ubuntu and macOS.
Exit code 1 when a required one is missing.`,
  policy: `Usage: steward policy show [--json]

Prints every policy key in force, its value and where it came from (organization, flags,
environment, settings.json, default), with any errors and warnings.`,
  test: `Usage: steward test [--quick] [--no-setup]

Sets up this machine as "steward up" does, plus what the tests use (Docker engine running,
Chromium, ripgrep; on Debian/Ubuntu as root they are installed with apt-get and dockerd is started),
then runs ESLint, the type check, and the unit, integration and end-to-end tests against real
nats-server, SQLite, Docker/bubblewrap and Chromium. Unless --quick, it first makes sure the
sandbox image is built, as "steward up" does. Exit code 1 when any step fails.

Options:
  --quick      Lint, type check and unit tests only.
  --no-setup   Do not check or install system packages.`,
  sandbox: `Usage: steward sandbox build [--office] [--force] [--json]
       steward sandbox prune [--dry-run] [--json]

steward sandbox build
Builds the root file system sandboxed code runs in: a minimal Debian 12 (debootstrap, then
apt-get from the mirror this machine's apt sources use) with Python 3 (pandas, openpyxl,
python-docx, matplotlib, reportlab, Pillow), Node.js 18 with docx, pptxgenjs, exceljs and pdf-lib,
poppler-utils and fonts. It is kept in $STEWARD_SANDBOX_CACHE (default
~/.cache/steward/sandbox)/<version>, shared by every STEWARD_HOME; the version is a hash of the
recipe, so an unchanged recipe is built once. When a Docker engine answers, the same tree is
imported as the image steward-sandbox:<version>. Needs root on Linux; installs debootstrap with
apt-get when it is missing.

Options:
  --office   Add headless LibreOffice (Calc, Writer, Impress) for recalculation and conversions.
  --force    Build again even when this version is built, and import it into Docker again.
  --json     Print the manifest (version, size, packages, npm, dockerImage, …) on stdout.

steward sandbox prune
Frees the space older images take: removes every version in $STEWARD_SANDBOX_CACHE other than the
one current.json names, the leftovers of interrupted builds, and, when a Docker engine answers,
every steward-sandbox:* image other than the current tag. It keeps, and says why, a version a
running bubblewrap sandbox uses and an image a container (running or stopped) was created from.
Symlinks in an image are removed, never followed. It fails at once while a build runs. Prints what
it removed and the space freed (sizes counted without following links); exits 0 when there is
nothing to prune, 1 when something could not be removed.

Options:
  --dry-run  Report what would be removed and the space it would free; remove nothing.
  --json     Print the report as one JSON object on stdout: cacheDir, dryRun, current, removed,
             kept (each with reason and detail), failed, docker, freedBytes.`,
  run: `Usage: steward run "<prompt>" --folder <dir> [--folder <dir>…] [--model <m>] [--auto]
                    [--approve ask|deny] [--json]

Runs one task on the running stack (start it with "./steward up"), as the page would, and follows
it to the end. The answer streams to stdout as the model writes it; progress goes to stderr — on a
terminal one line rewritten in place ("Progress 2 of 5 · read_file /path · 14 s"), otherwise a plain
line whenever it changes — with a line for each tool call that finished. The task also shows in
the page.

When the task needs an approval, its summary is shown (for a delete: every path it would remove,
how many, and whether it is a bulk delete) and the question
  Allow? [y]es / [n]o / [a]lways for this task:
is answered with a line on stdin; "a" allows it and the same kind of call for the rest of the task.
Approvals of sub-agents are asked the same way. An approval answered in the page meanwhile, or one
that expires, withdraws the question.

At the end: the answer (if it did not stream), the files changed, tokens and cost, and for a task
that did not complete, why. Ctrl-C cancels the task and waits for it to stop; a second Ctrl-C quits
at once (the task may then go on). If the connection to the UI drops, the command reconnects and
misses nothing; if it stays down, it checks the task every second instead.

Options:
  --folder <dir>        A folder the task may work in (repeat for more; at least one). Resolved to
                        its real absolute path; it must exist.
  --model <m>           The model, e.g. claude-sonnet-4-6 or provider:model (default: the
                        configured one).
  --auto                Approval mode "auto": writes and commands run without asking (deletes still
                        ask), when the policy allows it.
  --approve ask|deny    ask: read each answer from stdin (a terminal, or answers piped in, one per
                        line; when input ends, the rest are denied). deny: deny every approval
                        without asking. Default: ask when stdin is a terminal, else deny — an
                        unattended run never waits for an answer that cannot come.
  --json                Print only the task (as GET /api/tasks/:id returns it) as one JSON object
                        at the end: no progress, no streamed answer. Approvals are still asked on
                        stderr per --approve.
  --                    Everything after it is the prompt (for a prompt starting with "-").

Exit codes:
  0    the task completed
  1    the task failed, or it could not be started (refused, unknown model, …)
  2    usage error (bad flag, missing folder)
  3    Steward is not running here, contact with it was lost, or the task was interrupted
  130  the task was cancelled (Ctrl-C, or in the page)`,
  supervise: `Usage: steward supervise

Internal: the supervisor "steward up --detach" runs in the background. It expects the files
"steward up" prepares in $STEWARD_HOME/run.`,
};

export function helpText(topic?: CommandName): string {
  return topic === undefined ? OVERVIEW : COMMANDS[topic];
}
