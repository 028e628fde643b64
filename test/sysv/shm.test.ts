import { afterEach, describe, expect, it } from 'vitest';
import { SysvError } from '../../src/sysv/errors.ts';
import { NotAttachedError, ReadOnlyViewError } from '../../src/sysv/segment-view.ts';
import { describeIpcFlags } from '../../src/sysv/ipc-format.ts';
import { attach, getSegment, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, remove, stat, type Attachment } from '../../src/sysv/shm.ts';
import { compileC, runC } from '../support/c-programs.ts';
import { randomKey } from '../support/cli.ts';

const made: number[] = [];
const attached: Attachment[] = [];

function create(size = 1024, mode = 0o600, key = IPC_PRIVATE): number {
  const shmid = getSegment(key, size, IPC_CREAT | IPC_EXCL | mode);
  made.push(shmid);
  return shmid;
}

function open(shmid: number, readOnly = false): Attachment {
  const a = attach(shmid, { readOnly });
  attached.push(a);
  return a;
}

compileC('shm-stat'); // before any attachment, so compiling does not count as attach/detach

afterEach(() => {
  for (const a of attached.splice(0)) a.detach();
  for (const shmid of made.splice(0)) {
    try {
      remove(shmid);
    } catch (error) {
      if (!(error instanceof SysvError && error.code === 'EINVAL')) throw error; // the test removed it itself
    }
  }
});

describe('shared memory through koffi', () => {
  it('shares bytes between two attachments with no copy', () => {
    const shmid = create();
    const writer = open(shmid);
    const reader = open(shmid, true);
    expect(writer.address).not.toBe(reader.address);
    writer.view.setUint32(100, 0xdeadbeef);
    writer.view.write(200, new Uint8Array([1, 2, 3]));
    expect(reader.view.getUint32(100)).toBe(0xdeadbeef);
    expect([...reader.view.read(200, 3)]).toEqual([1, 2, 3]);
    expect(reader.view.byteLength).toBe(1024);
  });

  it('starts zero-filled, and fill() is memset', () => {
    const a = open(create(4096));
    expect(a.view.read(0, 4096).every((b) => b === 0)).toBe(true);
    a.view.fill(0xab, 10, 5);
    expect([...a.view.read(9, 7)]).toEqual([0, 0xab, 0xab, 0xab, 0xab, 0xab, 0]);
  });

  it('refuses every use of a view after detach instead of crashing', () => {
    const a = open(create());
    const view = a.view;
    a.detach();
    expect(a.attached).toBe(false);
    expect(() => view.getUint8(0)).toThrow(NotAttachedError);
    expect(() => view.read(0, 4)).toThrow(NotAttachedError);
    expect(() => view.atomicLoad32(8)).toThrow(NotAttachedError);
    expect(() => view.byteLength).toThrow(NotAttachedError);
    a.detach(); // twice is harmless
  });

  it('refuses writes through a read-only attachment instead of dying of SIGSEGV', () => {
    const a = open(create(), true);
    expect(() => a.view.setUint32(0, 1)).toThrow(ReadOnlyViewError);
    expect(() => a.view.write(0, new Uint8Array(1))).toThrow(ReadOnlyViewError);
    expect(() => a.view.atomicStore32(8, 2)).toThrow(ReadOnlyViewError);
    expect(a.view.getUint32(0)).toBe(0);
  });

  it('keeps every access inside the segment', () => {
    const a = open(create(128));
    expect(() => a.view.getFloat64(124)).toThrow(RangeError);
    expect(() => a.view.read(-1, 2)).toThrow(RangeError);
    expect(() => a.view.write(127, new Uint8Array(2))).toThrow(RangeError);
    expect(() => a.view.atomicLoad32(6)).toThrow(RangeError);
  });

  it('copies runs of units in and out of an area, and words of an array, each checked against its range', () => {
    const a = open(create(4096));
    const area = a.view.area(64, 8, 100); // 8 units of 100 bytes at 64..864
    area.copyIn(2, new Uint8Array(250).fill(7)); // units 2, 3 and half of 4
    expect([...a.view.read(263, 252)]).toEqual([0, ...new Array(250).fill(7), 0]);
    const out = new Uint8Array(300).fill(1);
    area.copyOut(2, out, 260);
    expect([...out.subarray(0, 251)]).toEqual([...new Array(250).fill(7), 0]);
    expect(out[260]).toBe(1); // nothing past `length`
    area.copyOut(2, out, 260); // the same place again: the view it made is kept, and still right
    expect(out[249]).toBe(7);
    expect(() => area.copyIn(7, new Uint8Array(101))).toThrow(RangeError); // past the last unit
    expect(() => area.copyOut(0, new Uint8Array(10), 11)).toThrow(RangeError); // past the target
    expect(() => area.copyOut(1.5, out, 10)).toThrow(RangeError);
    expect(() => a.view.area(4000, 2, 100)).toThrow(RangeError); // the range itself
    expect(() => a.view.area(0, -2, -100)).toThrow(RangeError);
    expect(() => area.copyOut(0, out, 10.5)).toThrow(RangeError);

    const words = a.view.words(1000, 4);
    words.set(3, 0xfffffffe);
    expect(words.get(3)).toBe(0xfffffffe); // unsigned, as a uint32_t
    expect(a.view.getUint32(1012)).toBe(0xfffffffe);
    expect(() => words.get(4)).toThrow(RangeError);
    expect(() => words.get(0.5)).toThrow(RangeError);
    expect(() => a.view.words(1002, 1)).toThrow(RangeError); // unaligned

    const readOnly = open(a.shmid, true);
    expect(() => readOnly.view.area(64, 8, 100).copyIn(0, new Uint8Array(1))).toThrow(ReadOnlyViewError);
    expect(() => readOnly.view.words(1000, 4).set(0, 1)).toThrow(ReadOnlyViewError);
    a.detach();
    expect(() => area.copyOut(0, out, 1)).toThrow(NotAttachedError);
    expect(() => words.get(0)).toThrow(NotAttachedError);
  });

  it('decodes IPC_STAT as a C program reads it', () => {
    const shmid = create(1024, 0o640);
    const a = open(shmid);
    // Spawning the probe forks this process, and the fork inherits the attachment until it
    // execs, which detaches it: so shm_lpid becomes the probe's pid. Read C's view first.
    const theirs = JSON.parse(runC('shm-stat', [String(shmid)])) as Record<string, number>;
    const ours = stat(shmid);
    expect(ours).toMatchObject({
      key: theirs.key,
      uid: theirs.uid,
      gid: theirs.gid,
      cuid: theirs.cuid,
      cgid: theirs.cgid,
      mode: theirs.mode,
      size: theirs.size,
      cpid: theirs.cpid,
      lpid: theirs.lpid,
      nattch: theirs.nattch,
    });
    expect(ours.mode).toBe(0o640);
    expect(ours.size).toBe(1024);
    expect(ours.nattch).toBe(1);
    expect(ours.cpid).toBe(process.pid);
    expect(ours.uid).toBe(process.getuid!());
    expect(ours.atime!.getTime() / 1000).toBe(theirs.atime);
    expect(ours.ctime.getTime() / 1000).toBe(theirs.ctime);
    expect(ours.markedForRemoval).toBe(false);
    a.detach();
    expect(stat(shmid).nattch).toBe(0);
  });

  it('marks a removed but still attached segment SHM_DEST', () => {
    const shmid = create();
    const a = open(shmid);
    remove(shmid);
    const st = stat(shmid);
    expect(st.markedForRemoval).toBe(true);
    expect(st.key).toBe(0); // the kernel frees the key at once: a new server can reuse it
    a.detach();
  });
});

describe('failed calls become one error type', () => {
  it('EEXIST names the call, the key in hex, the size, the flags in words, and a hint', () => {
    const key = randomKey();
    create(1024, 0o600, key);
    const error = (() => {
      try {
        getSegment(key, 1024, IPC_CREAT | IPC_EXCL | 0o600);
      } catch (e) {
        return e;
      }
      throw new Error('shmget did not fail');
    })() as SysvError;
    expect(error).toBeInstanceOf(SysvError);
    expect(error).toMatchObject({ call: 'shmget', code: 'EEXIST', errno: 17 });
    expect(error.message).toContain(`key=0x${(key >>> 0).toString(16).padStart(8, '0')}`);
    expect(error.message).toContain('size=1024');
    expect(error.message).toContain('shmflg=IPC_CREAT|IPC_EXCL|0600');
    expect(error.message).toContain('File exists');
    expect(error.hint).toMatch(/ipcrm|ipc-lab clean/);
  });

  it.each([
    ['ENOENT', () => getSegment(randomKey(), 0, 0), /start the server/],
    ['EINVAL', () => getSegment(IPC_PRIVATE, 0, IPC_CREAT | 0o600), /size/],
  ] as const)('%s from shmget carries its hint', (code, call, hint) => {
    expect(call).toThrow(expect.objectContaining({ name: 'SysvError', code, hint: expect.stringMatching(hint) }));
  });

  it('detects shmat failure by (void *) -1, which koffi returns as 0xffffffffffffffffn', () => {
    const shmid = create();
    remove(shmid);
    expect(() => attach(shmid)).toThrow(expect.objectContaining({ call: 'shmat', code: 'EINVAL' }));
  });

  it('describes flags in words', () => {
    expect(describeIpcFlags(IPC_CREAT | IPC_EXCL | 0o600)).toBe('IPC_CREAT|IPC_EXCL|0600');
    expect(describeIpcFlags(0)).toBe('0000');
  });
});
