import { z } from 'zod';

/**
 * Ids that end up as a token of a bus subject (`events.fs.task.<taskId>.changed`) or a file name:
 * letters, digits, `_` and `-` only, so an id can never add or widen a subject token.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const taskIdSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1–64 letters, digits, "_" or "-"')
  .describe('The task this request acts for.');

export const recordIdSchema = z.string().regex(ID_PATTERN, 'must be 1–64 letters, digits, "_" or "-"');
