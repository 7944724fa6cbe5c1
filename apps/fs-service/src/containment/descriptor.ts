import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Anything holding an open file descriptor: what `fdPath` needs. */
export interface FdHolder {
  readonly fd: number;
}

/** The reading side of an open file, as a FileHandle or a Descriptor offers it. */
export interface ReadableFd extends FdHolder {
  stat(): Promise<Stats>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * A descriptor the containment walk opened, used with direct system calls. A walk makes a dozen
 * metadata calls on the person's own folders, each taking microseconds; through libuv's thread pool
 * every one of them would cost a round trip between threads several times longer than the call.
 * The promise-returning methods mirror FileHandle, so callers read the same either way.
 */
export class Descriptor implements ReadableFd {
  private current: number;

  constructor(fd: number) {
    this.current = fd;
  }

  /** -1 once closed. */
  get fd(): number {
    return this.current;
  }

  statSync(): Stats {
    return fstatSync(this.live());
  }

  stat(): Promise<Stats> {
    return Promise.resolve(this.statSync());
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return Promise.resolve({ bytesRead: readSync(this.live(), buffer, offset, length, position) });
  }

  /** Closes once; later calls do nothing. */
  closeSync(): void {
    const fd = this.current;
    if (fd < 0) return;
    this.current = -1;
    closeSync(fd);
  }

  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  private live(): number {
    if (this.current < 0) throw new Error('descriptor used after close');
    return this.current;
  }
}

export function openDescriptor(path: string, flags: number): Descriptor {
  return new Descriptor(openSync(path, flags));
}
