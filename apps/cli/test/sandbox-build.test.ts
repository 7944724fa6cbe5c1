import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '@steward/config';
import { CLI_ENTRY, runCli } from '../../../tests/support/stack.js';
import {
  parseSandboxManifest,
  readSandboxManifest,
  readSandboxPointer,
  sandboxPaths,
  sandboxRecipe,
  sandboxVersion,
  type SandboxManifest,
} from '../src/sandbox/sandbox-image.js';

const BUILD_TIMEOUT_MS = 15 * 60_000;
const cacheDir = loadRuntimeConfig().sandboxCacheDir;
const version = sandboxVersion(sandboxRecipe({ office: false }));
const officeVersion = sandboxVersion(sandboxRecipe({ office: true }));

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const dockerRunning = succeeds('docker', ['info']);
const officeBuilt = (() => {
  try {
    return readSandboxManifest(cacheDir, officeVersion) !== undefined;
  } catch {
    return false;
  }
})();

const environment = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A command in the image as vm-service's bubblewrap runs it: the tree read-only, a fresh /tmp,
 * every namespace unshared, an unprivileged uid without a passwd entry, the image's environment.
 */
function inSandbox(rootfs: string, env: Readonly<Record<string, string>>, command: string[]): Run {
  const result = spawnSync(
    'bwrap',
    [
      '--ro-bind',
      rootfs,
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--unshare-all',
      '--unshare-user',
      '--uid',
      '65534',
      '--gid',
      '65534',
      '--die-with-parent',
      '--chdir',
      '/tmp',
      '--clearenv',
      ...Object.entries({ ...env, HOME: '/tmp' }).flatMap(([key, value]) => ['--setenv', key, value]),
      ...command,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Names of the regular files anywhere below `dir` (folders left empty do not count). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

function expectOk(run: Run): string {
  expect(run.stderr, `stderr of a command in the sandbox`).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('steward sandbox build', () => {
  let manifest: SandboxManifest;
  let rootfs: string;

  beforeAll(async () => {
    if (!existsSync(CLI_ENTRY)) throw new Error(`build first: npx tsc -b apps/cli (missing ${CLI_ENTRY})`);
    // The cache is shared machine-wide: the first run builds (a minute or two), later runs reuse it.
    const result = await runCli(['sandbox', 'build', '--json'], environment(), BUILD_TIMEOUT_MS);
    if (result.code !== 0)
      throw new Error(`steward sandbox build exited ${result.code}:\n${result.stderr.slice(-4000)}`);
    manifest = parseSandboxManifest(JSON.parse(result.stdout), version);
    rootfs = sandboxPaths(cacheDir, version).rootfs;
  }, BUILD_TIMEOUT_MS);

  it('leaves the image of the current recipe with its manifest, and current.json naming it', () => {
    expect(manifest.office).toBe(false);
    expect(manifest.dockerImage).toBe(`steward-sandbox:${version}`);
    expect(Object.keys(manifest.packages)).toEqual(expect.arrayContaining(['python3-pandas', 'nodejs']));
    expect(manifest.npm).toEqual({
      docx: '9.15.2',
      pptxgenjs: '4.0.1',
      exceljs: '4.4.0',
      'pdf-lib': '1.17.1',
    });
    expect(manifest.sizeBytes).toBeGreaterThan(200e6);
    expect(readSandboxManifest(cacheDir, version)).toEqual(manifest);
    expect(readSandboxPointer(cacheDir)).toEqual({
      version,
      office: false,
      rootfs,
      dockerImage: manifest.dockerImage,
      env: manifest.env,
      manifest: sandboxPaths(cacheDir, version).manifest,
    });
    expect(readdirSync(cacheDir).filter((name) => name.startsWith('.build-'))).toEqual([]);
  });

  it('reuses a built version instead of building it again', async () => {
    const again = await runCli(['sandbox', 'build', '--json'], environment(), 120_000);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('debootstrap');
    expect(parseSandboxManifest(JSON.parse(again.stdout)).builtAt).toBe(manifest.builtAt);
  });

  it('is shrunk: no package lists or apt caches, documentation only as licences, no manual pages', () => {
    expect(filesUnder(join(rootfs, 'var/lib/apt/lists'))).toEqual([]);
    expect(filesUnder(join(rootfs, 'var/cache/apt'))).toEqual([]);
    expect(filesUnder(join(rootfs, 'usr/share/man'))).toEqual([]);
    expect(filesUnder(join(rootfs, 'usr/share/locale'))).toEqual([]);
    const docs = filesUnder(join(rootfs, 'usr/share/doc'));
    expect(docs.length).toBeGreaterThan(20);
    expect(docs.filter((name) => name !== 'copyright')).toEqual([]);
  });

  it('runs Python with pandas, openpyxl, python-docx and reportlab, and matplotlib draws on a read-only root from the baked font cache', () => {
    const script = `
import json, os, time
started = time.time()
import pandas, openpyxl, docx, reportlab
from reportlab.pdfgen import canvas
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [3, 1, 2])
ax.set_title("Steward")
fig.savefig("/tmp/plot.png")
frame = pandas.DataFrame({"a": [1, 2]})
frame.to_excel("/tmp/frame.xlsx", index=False)
book = openpyxl.load_workbook("/tmp/frame.xlsx")
document = docx.Document()
document.add_paragraph("hello")
document.save("/tmp/hello.docx")
pdf = canvas.Canvas("/tmp/hello.pdf")
pdf.drawString(100, 750, "Steward sandbox")
pdf.save()
print(json.dumps({
    "png": open("/tmp/plot.png", "rb").read(8).hex(),
    "cells": book.active["A3"].value,
    "cache": sorted(os.listdir(os.environ["MPLCONFIGDIR"])),
    "backend": plt.get_backend(),
    "uid": os.getuid(),
}))
`;
    const output = JSON.parse(expectOk(inSandbox(rootfs, manifest.env, ['python3', '-c', script]))) as {
      png: string;
      cells: number;
      cache: string[];
      backend: string;
      uid: number;
    };
    expect(output.png).toBe('89504e470d0a1a0a');
    expect(output.cells).toBe(2);
    // Present without a rebuild: matplotlib would have warned on stderr (checked empty above).
    expect(output.cache.some((name) => name.startsWith('fontlist-'))).toBe(true);
    expect(output.backend.toLowerCase()).toBe('agg');
    expect(output.uid).toBe(65534);
  });

  it('runs Node with docx, pptxgenjs, exceljs and pdf-lib through require, and the ES module ones through import', async () => {
    const script = `
const docx = require('docx');
const PptxGenJS = require('pptxgenjs');
const ExcelJS = require('exceljs');
const { PDFDocument } = require('pdf-lib');
(async () => {
  const doc = new docx.Document({ sections: [{ children: [new docx.Paragraph('hello')] }] });
  const pptx = new PptxGenJS();
  pptx.addSlide().addText('hello', { x: 1, y: 1 });
  const book = new ExcelJS.Workbook();
  book.addWorksheet('a').addRow([1, 2]);
  const pdf = await PDFDocument.create();
  pdf.addPage().drawText('hello');
  const sizes = {
    docx: (await docx.Packer.toBuffer(doc)).length,
    pptx: (await pptx.write({ outputType: 'nodebuffer' })).length,
    xlsx: (await book.xlsx.writeBuffer()).byteLength,
    pdf: (await pdf.save()).length,
  };
  console.log(JSON.stringify({ node: process.version, sizes }));
})().catch((error) => { console.error(error); process.exit(1); });
`;
    const output = JSON.parse(expectOk(inSandbox(rootfs, manifest.env, ['node', '-e', script]))) as {
      node: string;
      sizes: Record<string, number>;
    };
    expect(output.node).toMatch(/^v18\./);
    for (const size of Object.values(output.sizes)) expect(size).toBeGreaterThan(500);
    const esm =
      "import { Document } from 'docx'; import ExcelJS from 'exceljs'; import { PDFDocument } from 'pdf-lib'; console.log(typeof Document, typeof ExcelJS.Workbook, typeof PDFDocument);";
    expect(expectOk(inSandbox(rootfs, manifest.env, ['node', '--input-type=module', '-e', esm])).trim()).toBe(
      'function function function',
    );
  });

  it('has poppler: pdftotext runs and reads back a PDF made in the sandbox', () => {
    const version = inSandbox(rootfs, manifest.env, ['pdftotext', '-v']);
    expect(version.code).toBe(0);
    expect(version.stderr).toMatch(/pdftotext version \d+/);
    const script =
      "python3 -c \"from reportlab.pdfgen import canvas; c = canvas.Canvas('/tmp/a.pdf'); c.drawString(100, 750, 'Quarterly figures'); c.save()\" && pdftotext /tmp/a.pdf -";
    expect(expectOk(inSandbox(rootfs, manifest.env, ['sh', '-c', script]))).toContain('Quarterly figures');
  });

  it.skipIf(!officeBuilt)(
    'recalculates a spreadsheet with LibreOffice as an unprivileged uid (office variant)',
    () => {
      const office = readSandboxManifest(cacheDir, officeVersion);
      if (office === undefined) throw new Error('the office variant disappeared');
      const script =
        "python3 -c \"import openpyxl; b = openpyxl.Workbook(); s = b.active; s['A1'] = 2; s['A2'] = 3; s['A3'] = '=A1*A2'; b.save('/tmp/b.xlsx')\"" +
        ' && soffice --headless --convert-to csv --outdir /tmp /tmp/b.xlsx >/dev/null 2>&1 && cat /tmp/b.csv';
      const run = inSandbox(sandboxPaths(cacheDir, officeVersion).rootfs, office.env, ['sh', '-c', script]);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n').map((line) => line.trim())).toEqual(['2', '3', '6', '']);
    },
  );

  describe.skipIf(!dockerRunning)('with a Docker engine', () => {
    it('imported the same tree as steward-sandbox:<version>, which runs without a network', () => {
      expect(succeeds('docker', ['image', 'inspect', manifest.dockerImage])).toBe(true);
      const output = execFileSync(
        'docker',
        [
          'run',
          '--rm',
          '--network',
          'none',
          manifest.dockerImage,
          'python3',
          '-c',
          'import os, pandas; print(pandas.__version__, os.environ["NODE_PATH"])',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(output.trim()).toBe(
        `${manifest.packages['python3-pandas']?.split('+')[0]} ${manifest.env['NODE_PATH']}`,
      );
    });
  });
});
