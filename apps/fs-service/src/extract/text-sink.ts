/**
 * The extracted text, line by line, held to a character budget. Extractors ask `full` (or look
 * at what `line` returns) so they can stop reading a large file once nothing more would be kept.
 */
export class TextSink {
  private readonly pieces: string[] = [];
  private length = 0;
  private cut = false;

  constructor(private readonly maxChars: number) {}

  /** True once a line did not fit: the text ends where the budget ran out. */
  get truncated(): boolean {
    return this.cut;
  }

  get full(): boolean {
    return this.cut;
  }

  /** Adds a line; false when the budget is spent and the caller should stop. */
  line(text: string): boolean {
    if (this.cut) return false;
    const piece = this.pieces.length === 0 ? text : `\n${text}`;
    const room = this.maxChars - this.length;
    if (piece.length <= room) {
      this.pieces.push(piece);
      this.length += piece.length;
      return true;
    }
    const kept = cutAt(piece, room);
    if (kept !== '') this.pieces.push(kept);
    this.length += kept.length;
    this.cut = true;
    return false;
  }

  text(): string {
    return this.pieces.join('');
  }
}

/** The first `length` characters, one fewer if that would split a surrogate pair. */
function cutAt(text: string, length: number): string {
  if (length <= 0) return '';
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

/** Writes lines until the sink is full; false if it filled up (the caller stops too). */
export function sinkAll(sink: TextSink, lines: Iterable<string>, prefix = ''): boolean {
  for (const line of lines) if (!sink.line(prefix + line)) return false;
  return !sink.full;
}
