import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 16 * 1024;

/** The last lines of a log file, reading only its end; empty when there is no file. */
export function tailFile(file: string, lines = 20): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').split('\n');
    if (length < size) text.shift();
    while (text.length > 0 && text[text.length - 1] === '') text.pop();
    return text.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
