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

  /**
   * `count` windows (a ring's slots), the first at `first`, one every `stride` bytes, each
   * `words` 32-bit words then `length` data bytes, made once: a copy through one allocates
   * nothing, where read and write make a view of the range on every call. Guarded like the
   * view itself, with the bounds checked here, once. `first` and `stride` must be multiples of 4.
   */
  windows(first: number, stride: number, count: number, words: number, length: number): SegmentWindows {
    this.#dataFor(first, (count - 1) * stride + 4 * words + length);
    if (first % 4 !== 0 || stride % 4 !== 0) throw new RangeError(`windows need 4-byte aligned offsets, not ${first} and ${stride}`);
    const data = Array.from({ length: count }, (_, i) => {
      const start = first + i * stride + 4 * words;
      return this.#bytes.subarray(start, start + length);
    });
    const wordAt = Array.from({ length: count }, (_, i) => (first + i * stride) >>> 2);
    return new SegmentWindows(data, wordAt, words, length, this.#words, this.readOnly, this.#isAttached);
  }

  /**
   * `count` units of `unitSize` bytes from `offset`, back to back, as one range (a ring's slots'
   * data, say), for copies in and out that start at a unit and may span several: the range is
   * checked here, once, and each copy against the range.
   */
  area(offset: number, count: number, unitSize: number): SegmentArea {
    if (!(Number.isInteger(count) && count >= 0 && Number.isInteger(unitSize) && unitSize > 0))
      throw new RangeError(`an area needs a whole number of units of a whole, positive size, not ${count} of ${unitSize}`);
    this.#dataFor(offset, count * unitSize);
    return new SegmentArea(this.#bytes, offset, count, unitSize, this.readOnly, this.#isAttached);
  }

  /** `count` 32-bit words from `offset` (4-byte aligned), as an array (a ring's slot headers, say), bounds checked once here. */
  words(offset: number, count: number): SegmentWords {
    this.#dataFor(offset, 4 * count);
    if (offset % 4 !== 0) throw new RangeError(`words need a 4-byte aligned offset, not ${offset}`);
    return new SegmentWords(this.#words, offset >>> 2, count, this.readOnly, this.#isAttached);
  }

  /** The 32-bit word at `offset` (4-byte aligned), for Atomics, its bounds checked once. */
  atomicWord(offset: number): AtomicWord {
    this.#wordIndex(offset, false);
    return new AtomicWord(this.#words, offset >>> 2, this.readOnly, this.#isAttached);
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
      throw readOnlyError();
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

/** Fixed windows onto a segment (see SegmentView.windows): copies in and out, checked, allocation-free. */
export class SegmentWindows {
  readonly #data: readonly Uint8Array[];
  readonly #wordAt: readonly number[];
  readonly #words: Int32Array;
  readonly #isAttached: () => boolean;

  constructor(
    data: readonly Uint8Array[],
    wordAt: readonly number[],
    readonly headerWords: number,
    readonly length: number,
    words: Int32Array,
    readonly readOnly: boolean,
    isAttached: () => boolean,
  ) {
    this.#data = data;
    this.#wordAt = wordAt;
    this.#words = words;
    this.#isAttached = isAttached;
  }

  /**
   * Copies `source` (at most `length` bytes) to the data of window `i`. TypedArray.set checks
   * the size itself; asking `source.byteLength` first would be a call per message in V8 11.
   */
  write(i: number, source: Uint8Array): void {
    this.#writable();
    const window = this.#window(i, 0);
    try {
      window.set(source);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new RangeError(`${source.byteLength} bytes do not fit window ${i}, of ${this.length} bytes`);
    }
  }

  /** Copies the first `target.length` data bytes of window `i` into `target`. */
  readInto(i: number, target: Uint8Array): void {
    const window = this.#window(i, target.byteLength);
    target.set(target.byteLength === this.length ? window : window.subarray(0, target.byteLength));
  }

  /** Header word `w` of window `i`, as an unsigned 32-bit number (the host's byte order: little-endian on both arches). */
  word(i: number, w: number): number {
    return this.#words[this.#wordIndex(i, w)]! >>> 0;
  }

  setWord(i: number, w: number, value: number): void {
    this.#writable();
    this.#words[this.#wordIndex(i, w)] = value;
  }

  #writable(): void {
    if (this.readOnly) throw readOnlyError();
  }

  #window(i: number, bytes: number): Uint8Array {
    if (!this.#isAttached()) throw notAttached();
    const window = this.#data[i];
    if (window === undefined || bytes > this.length)
      throw new RangeError(`window ${i} of ${this.#data.length}, ${bytes} bytes: outside the windows of ${this.length} bytes`);
    return window;
  }

  #wordIndex(i: number, w: number): number {
    if (!this.#isAttached()) throw notAttached();
    const at = this.#wordAt[i];
    if (at === undefined || w < 0 || w >= this.headerWords) throw new RangeError(`word ${w} of window ${i}: outside the windows' headers`);
    return at + w;
  }
}

/**
 * Units of a segment, back to back (see SegmentView.area): copies in and out, each one memcpy,
 * checked. A copy out reads through a view of its bytes; the last view made at each unit is
 * kept, so that copies that come round to the same places (a ring's runs) allocate nothing.
 */
export class SegmentArea {
  readonly #bytes: Uint8Array;
  readonly #base: number;
  readonly #views: Uint8Array[] = [];
  readonly #isAttached: () => boolean;

  constructor(
    bytes: Uint8Array,
    base: number,
    readonly count: number,
    readonly unitSize: number,
    readonly readOnly: boolean,
    isAttached: () => boolean,
  ) {
    this.#bytes = bytes;
    this.#base = base;
    this.#isAttached = isAttached;
  }

  /** Copies `source` into the range from unit `unit` on (it may fill several): one memcpy, no allocation. */
  copyIn(unit: number, source: Uint8Array): void {
    if (this.readOnly) throw readOnlyError();
    this.#check(unit, source.length);
    this.#bytes.set(source, this.#base + unit * this.unitSize);
  }

  /** Copies `length` bytes of the range, from unit `unit` on, to the start of `target`: one memcpy. */
  copyOut(unit: number, target: Uint8Array, length: number): void {
    this.#check(unit, length);
    if (length > target.length) throw new RangeError(`${length} bytes do not fit a target of ${target.length}`);
    let view = this.#views[unit];
    if (view?.length !== length) {
      const from = this.#base + unit * this.unitSize;
      view = this.#views[unit] = this.#bytes.subarray(from, from + length);
    }
    target.set(view);
  }

  #check(unit: number, length: number): void {
    if (!this.#isAttached()) throw notAttached();
    if (
      !(
        Number.isInteger(unit) &&
        Number.isInteger(length) &&
        unit >= 0 &&
        length >= 0 &&
        unit * this.unitSize + length <= this.count * this.unitSize
      )
    )
      throw new RangeError(`${length} bytes from unit ${unit} lie outside the ${this.count} units of ${this.unitSize} bytes`);
  }
}

/** Words of a segment (see SegmentView.words), read and written as unsigned 32-bit numbers, checked. */
export class SegmentWords {
  readonly #words: Int32Array;
  readonly #first: number;
  readonly #isAttached: () => boolean;

  constructor(
    words: Int32Array,
    first: number,
    readonly count: number,
    readonly readOnly: boolean,
    isAttached: () => boolean,
  ) {
    this.#words = words;
    this.#first = first;
    this.#isAttached = isAttached;
  }

  /** Word `i`, unsigned (the host's byte order: little-endian on both arches). */
  get(i: number): number {
    this.#check(i);
    return this.#words[this.#first + i]! >>> 0;
  }

  set(i: number, value: number): void {
    if (this.readOnly) throw readOnlyError();
    this.#check(i);
    this.#words[this.#first + i] = value;
  }

  #check(i: number): void {
    if (!this.#isAttached()) throw notAttached();
    if (!(Number.isInteger(i) && i >= 0 && i < this.count)) throw new RangeError(`word ${i} of ${this.count}`);
  }
}

/** One 32-bit word of a segment, for Atomics.load (acquire) and Atomics.store (release). */
export class AtomicWord {
  readonly #words: Int32Array;
  readonly #index: number;
  readonly #isAttached: () => boolean;

  constructor(
    words: Int32Array,
    index: number,
    readonly readOnly: boolean,
    isAttached: () => boolean,
  ) {
    this.#words = words;
    this.#index = index;
    this.#isAttached = isAttached;
  }

  /** Atomics.load, as an unsigned 32-bit number. */
  load(): number {
    if (!this.#isAttached()) throw notAttached();
    return Atomics.load(this.#words, this.#index) >>> 0;
  }

  store(value: number): void {
    if (!this.#isAttached()) throw notAttached();
    if (this.readOnly) throw readOnlyError();
    Atomics.store(this.#words, this.#index, value | 0);
  }
}

const readOnlyError = (): ReadOnlyViewError =>
  new ReadOnlyViewError('the segment is attached read-only (SHM_RDONLY): writing would kill the process with SIGSEGV');

const notAttached = (): NotAttachedError =>
  new NotAttachedError('the segment is no longer attached (shmdt was called): attach it again to read or write');
