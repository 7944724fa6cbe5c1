/**
 * The one order of search results: by path compared segment by segment (so `a/b` sorts before
 * `a-b` and a folder's contents stay together), by UTF-16 code unit, then by line.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left === right) continue;
    if (left === 47) return -1;
    if (right === 47) return 1;
    return left - right;
  }
  return a.length - b.length;
}

export interface Ranked {
  readonly path: string;
  /** 0 when results are paths only. */
  readonly line: number;
}

export function compareRanked(a: Ranked, b: Ranked): number {
  return comparePaths(a.path, b.path) || a.line - b.line;
}

/**
 * Keeps the `capacity` first items in result order out of any number offered, in O(log capacity)
 * per offer: a max-heap whose top is the item the next better one evicts.
 */
export class FirstInOrder<T extends Ranked> {
  private readonly heap: T[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.heap.length;
  }

  /** Whether an item at this path and line would be kept now (cheap to ask before building it). */
  admits(path: string, line: number): boolean {
    if (this.heap.length < this.capacity) return true;
    const top = this.heap[0];
    return top !== undefined && (comparePaths(path, top.path) || line - top.line) < 0;
  }

  /** Whether any line of this path could still be kept. */
  admitsPath(path: string): boolean {
    return this.admits(path, 0);
  }

  offer(item: T): boolean {
    if (!this.admits(item.path, item.line)) return false;
    if (this.heap.length < this.capacity) {
      this.heap.push(item);
      this.siftUp(this.heap.length - 1);
    } else {
      this.heap[0] = item;
      this.siftDown(0);
    }
    return true;
  }

  sorted(): T[] {
    return [...this.heap].sort(compareRanked);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (compareRanked(heap[index] as T, heap[parent] as T) <= 0) return;
      [heap[index], heap[parent]] = [heap[parent] as T, heap[index] as T];
      index = parent;
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let index = start;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let largest = index;
      if (left < heap.length && compareRanked(heap[left] as T, heap[largest] as T) > 0) largest = left;
      if (right < heap.length && compareRanked(heap[right] as T, heap[largest] as T) > 0) largest = right;
      if (largest === index) return;
      [heap[index], heap[largest]] = [heap[largest] as T, heap[index] as T];
      index = largest;
    }
  }
}
