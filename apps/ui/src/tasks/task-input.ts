import { recordIdSchema, StewardError, taskIdSchema, TASK_STATUSES } from '@steward/contracts';
import { z } from 'zod';

/**
 * Validates what arrives in the address (route parameters, query) with the contracts' own schemas,
 * so a bad id is an INVALID_INPUT answer and never reaches the bus.
 */
export function parseAddress<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new StewardError('INVALID_INPUT', `${what} in the address is not valid`, {
      details: parsed.error.issues,
    });
  }
  return parsed.data;
}

export const parseTaskId = (id: unknown): string => parseAddress(taskIdSchema, id, 'the task id');
export const parseApprovalId = (id: unknown): string => parseAddress(recordIdSchema, id, 'the approval id');
export const parseProjectId = (id: unknown): string => parseAddress(recordIdSchema, id, 'the project id');

/** `GET /api/tasks?status=&parentId=&projectId=&limit=&before=`: the list RPC's fields, as query strings. */
export const taskListQuerySchema = z
  .object({
    status: z.enum(TASK_STATUSES).optional(),
    parentId: taskIdSchema.optional(),
    projectId: recordIdSchema.optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'a whole number')
      .transform(Number)
      .optional(),
    before: taskIdSchema.optional(),
  })
  .strict();

/** `?after=` on the event stream; `Last-Event-ID` carries the same value when a page reconnects. */
export const taskEventsQuerySchema = z.object({ after: z.string().optional() }).strict();

/** A stream sequence as the page sends it back: the decimal `id:` of the last event it saw. */
export const streamSequenceSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'the id of an event this stream sent')
  .transform(Number);
