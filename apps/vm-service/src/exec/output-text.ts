/** What remains of command output for a person and a model: text, no terminal control sequences. */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte escapes, and C0/C1 controls but \t and \n.
const ESCAPES =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

export function cleanText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/\r\n/g, '\n').replace(/\r/g, '\n').replace(ESCAPES, '');
}

export interface CapturedStream {
  readonly head: string;
  readonly tail: string;
  readonly total: number;
}

/** The head, a marker saying how much was left out, and the tail. */
export function capturedText(captured: CapturedStream): { text: string; bytes: number; truncated: boolean } {
  const head = Buffer.from(captured.head, 'base64');
  const tail = Buffer.from(captured.tail, 'base64');
  const omitted = captured.total - head.length - tail.length;
  if (omitted <= 0)
    return { text: cleanText(Buffer.concat([head, tail])), bytes: captured.total, truncated: false };
  return {
    text: `${cleanText(head)}\n… [${omitted} bytes of output left out] …\n${cleanText(tail)}`,
    bytes: captured.total,
    truncated: true,
  };
}
