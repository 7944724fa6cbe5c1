import { Controller, Get, Inject, Logger, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  absolutePathSchema,
  isStewardError,
  orchestratorTaskFile,
  taskFileType,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { z } from 'zod';
import { parseAddress, parseTaskId } from '../tasks/task-input.js';

const fileQuerySchema = z
  .object({
    path: absolutePathSchema,
    /** Save it rather than show it, whatever its type. */
    download: z.enum(['1', 'true']).optional(),
  })
  .strict();

type Chunk = RpcResponse<typeof orchestratorTaskFile>;

/*
 * What a file response may do once the browser shows it. Text and images need nothing: sandboxed,
 * they are an opaque origin that runs no script. Chromium's PDF viewer is a plugin, which a sandbox
 * would block, so a PDF gets `object-src 'self'` and no sandbox. A download never renders here.
 */
const SHOWN_TEXT_OR_IMAGE_CSP = "default-src 'none'; img-src 'self'; sandbox";
const SHOWN_PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'none'";
const DOWNLOAD_CSP = "default-src 'none'; sandbox";

/**
 * `GET /api/tasks/:id/files?path=<absPath>[&download=1]`: a file the task changed, streamed as the
 * orchestrator hands it over chunk by chunk. The type comes from a fixed list by extension (anything
 * else is application/octet-stream); only plain text, images and PDF are ever shown in the browser,
 * text always as text/plain. HTML and SVG are never shown: they are downloaded as octet-streams.
 */
@Controller('api/tasks')
export class TaskFileController {
  private readonly log = new Logger('tasks:files');

  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  @Get(':id/files')
  async file(
    @Param('id') id: string,
    @Query() query: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const taskId = parseTaskId(id);
    const { path, download } = parseAddress(fileQuerySchema, query, 'the query');
    let gone = false;
    res.once('close', () => (gone = true));
    // Asked before anything is sent, so a refusal still leaves as an error envelope with its status.
    const first = await this.bus.request(orchestratorTaskFile, { taskId, path });
    if (gone) return;

    const name = path.slice(path.lastIndexOf('/') + 1);
    const type = taskFileType(name);
    const shown = download === undefined ? type.inline : undefined;
    res.status(200);
    res.setHeader('Content-Type', shown === 'text' ? 'text/plain; charset=utf-8' : type.type);
    res.setHeader(
      'Content-Disposition',
      contentDisposition(shown === undefined ? 'attachment' : 'inline', name),
    );
    res.setHeader('Content-Length', String(first.size));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader(
      'Content-Security-Policy',
      shown === 'pdf' ? SHOWN_PDF_CSP : shown === undefined ? DOWNLOAD_CSP : SHOWN_TEXT_OR_IMAGE_CSP,
    );
    if (req.method === 'HEAD') {
      res.end();
      return;
    }

    let chunk: Chunk = first;
    try {
      for (;;) {
        if (gone) return;
        if (!res.write(Buffer.from(chunk.data, 'base64'))) await drained(res);
        if (chunk.eof || gone) break;
        // The same version throughout: a file changed mid-download fails it instead of mixing two.
        chunk = await this.bus.request(orchestratorTaskFile, {
          taskId,
          path,
          offset: chunk.offset + chunk.bytes,
          version: first.version,
        });
      }
      res.end();
    } catch (error) {
      // The code only: messages name paths, which are the person's content.
      const reason = isStewardError(error) ? error.code : 'INTERNAL';
      this.log.warn(`task ${taskId}: a file download stopped early (${reason})`);
      // Headers are gone already; cutting the connection short of Content-Length tells the browser.
      res.destroy();
    }
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** RFC 6266: an ASCII stand-in for old clients, and the exact name as UTF-8 (RFC 8187). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'file';
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
