/**
 * A guarded, zero-copy window onto an attached segment. The ArrayBuffer that koffi.view makes
 * points straight into the mapping; touching it after shmdt would crash the process (SIGSEGV),
 * and writing through a SHM_RDONLY mapping would too. So the buffer never leaves this class:
 * every access checks that the attachment is still alive and writable, then goes through typed
 * arrays made once over the buffer (no FFI call, no copy).
 */
export class NotAttachedError extends Error {
  override readonly name = 'NotAttachedError';
}

export class ReadOnlyViewError extends Error {
  override readonly name = 'ReadOnlyViewError';
}

export class SegmentView {
  readonly #bytes: Uint8Array;
  readonly #data: DataView;
  readonly #words: Int32Array;
  readonly #isAttached: () => boolean;
  readonly readOnly: boolean;

  constructor(buffer: ArrayBuffer, readOnly: boolean, isAttached: () => boolean) {
    this.#bytes = new Uint8Array(buffer);
    this.#data = new DataView(buffer);
    this.#words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    this.readOnly = readOnly;
    this.#isAttached = isAttached;
  }

  get byteLength(): number {
    return this.#readable().byteLength;
  }

  getUint8(offset: number): number {
    return this.#dataFor(offset, 1).getUint8(offset);
  }
  getUint16(offset: number): number {
    return this.#dataFor(offset, 2).getUint16(offset, true);
  }
  getUint32(offset: number): number {
    return this.#dataFor(offset, 4).getUint32(offset, true);
  }
  getInt32(offset: number): number {
    return this.#dataFor(offset, 4).getInt32(offset, true);
  }
  getFloat64(offset: number): number {
    return this.#dataFor(offset, 8).getFloat64(offset, true);
  }
  getBigUint64(offset: number): bigint {
    return this.#dataFor(offset, 8).getBigUint64(offset, true);
  }

  setUint8(offset: number, value: number): void {
    this.#writableFor(offset, 1).setUint8(offset, value);
  }
  setUint16(offset: number, value: number): void {
    this.#writableFor(offset, 2).setUint16(offset, value, true);
  }
  setUint32(offset: number, value: number): void {
    this.#writableFor(offset, 4).setUint32(offset, value, true);
  }
  setInt32(offset: number, value: number): void {
    this.#writableFor(offset, 4).setInt32(offset, value, true);
  }
  setFloat64(offset: number, value: number): void {
    this.#writableFor(offset, 8).setFloat64(offset, value, true);
  }
  setBigUint64(offset: number, value: bigint): void {
    this.#writableFor(offset, 8).setBigUint64(offset, value, true);
  }

  /** A copy of `length` bytes at `offset` (the copy stays valid after detach). */
  read(offset: number, length: number): Uint8Array {
    this.#dataFor(offset, length);
    return this.#bytes.slice(offset, offset + length);
  }

  /** Copies `target.length` bytes at `offset` into `target`: one memcpy, no allocation. */
  readInto(offset: number, target: Uint8Array): void {
    this.#dataFor(offset, target.byteLength);
    target.set(this.#bytes.subarray(offset, offset + target.byteLength));
  }

  /** Copies `source` into the segment at `offset`: one memcpy through TypedArray.set. */
  write(offset: number, source: Uint8Array): void {
    this.#writableFor(offset, source.byteLength);
    this.#bytes.set(source, offset);
  }

  /** memset(addr + offset, value, length). */
  fill(value: number, offset = 0, length = this.byteLength - offset): void {
    this.#writableFor(offset, length);
    this.#bytes.fill(value, offset, offset + length);
  }

  /** Atomics.load of the 32-bit word at `offset` (4-byte aligned): an acquire read. */
  atomicLoad32(offset: number): number {
    return Atomics.load(this.#words, this.#wordIndex(offset, false));
  }

  /** Atomics.store of the 32-bit word at `offset` (4-byte aligned): a release write. */
  atomicStore32(offset: number, value: number): void {
    Atomics.store(this.#words, this.#wordIndex(offset, true), value);
  }

  #readable(): Uint8Array {
    if (!this.#isAttached()) {
      throw new NotAttachedError('the segment is no longer attached (shmdt was called): attach it again to read or write');
    }
    return this.#bytes;
  }

  #dataFor(offset: number, length: number): DataView {
    const bytes = this.#readable();
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      throw new RangeError(`bytes ${offset}..${offset + length} lie outside the ${bytes.byteLength}-byte segment`);
    }
    return this.#data;
  }

  #writableFor(offset: number, length: number): DataView {
    if (this.readOnly) {
      throw new ReadOnlyViewError('the segment is attached read-only (SHM_RDONLY): writing would kill the process with SIGSEGV');
    }
    return this.#dataFor(offset, length);
  }

  #wordIndex(offset: number, write: boolean): number {
    if (write) this.#writableFor(offset, 4);
    else this.#dataFor(offset, 4);
    if (offset % 4 !== 0) throw new RangeError(`atomic access needs a 4-byte aligned offset, not ${offset}`);
    return offset >>> 2;
  }
}
