// The handout checker's matching rules (scripts/handouts/expected.ts), one by one: each rule
// lets through what it should and nothing more, and a mismatch says where.
import { describe, expect, it } from 'vitest';
import { matchOutput, normalizeOutput } from '../../scripts/handouts/expected.ts';

const ok = (expected: string, actual: string) => matchOutput(expected, actual).ok;

describe('expected output', () => {
  it('matches identical text, and nothing else', () => {
    expect(ok('PI is defined as: 22/7==3.14286\n\ngoodbye', 'PI is defined as: 22/7==3.14286\n\ngoodbye\n')).toBe(true);
    expect(ok('PI is defined as: 22/7==3.14286', 'PI is defined as: 23/7==3.14286')).toBe(false);
    expect(ok('one\ntwo', 'one')).toBe(false);
    expect(ok('one', 'one\ntwo')).toBe(false);
  });

  it('ignores trailing spaces and blank lines at either end, but not a blank line in the middle', () => {
    expect(ok('a\nb', '\n\na   \nb\n\n')).toBe(true);
    expect(ok('a\n\nb', 'a\nb')).toBe(false);
  });

  it('takes the expected text literally, regular-expression characters included', () => {
    expect(ok('a.b', 'axb')).toBe(false);
    expect(ok('(ready) [1] *x+? $5 ^', '(ready) [1] *x+? $5 ^')).toBe(true);
    expect(ok('a|b', 'a')).toBe(false);
  });

  it('lets a run of spaces match a run of any length, but not none', () => {
    expect(ok('key        shmid', 'key   shmid')).toBe(true);
    expect(ok('key shmid', 'keyshmid')).toBe(false);
    expect(ok('0x7f00:  0x49 0x50', '0x7f00:\t0x49\t0x50')).toBe(true); // gdb's tabs
  });

  it('removes terminal escapes and carriage-return redraws from the output', () => {
    expect(ok('server-1  | ready', '\x1b[2Kserver-1  | \x1b[1;32mready\x1b[0m')).toBe(true);
    expect(ok('step 3/3', 'step 1/3\rstep 2/3\rstep 3/3')).toBe(true);
    expect(normalizeOutput('abcdef\rXY')).toEqual(['XYcdef']); // a carriage return overwrites, as on a terminal
    // npm's spinner, erased
    expect(normalizeOutput('wrote out/bench.json\r\n\x1b[1G\x1b[0K\\\x1b[1G\x1b[0K')).toEqual(['wrote out/bench.json']);
    expect(normalizeOutput('\x00inode 5')).toEqual(['inode 5']);
    expect(normalizeOutput('a\r\nb\r\n')).toEqual(['a', 'b']);
  });

  it('lets a `...` line stand for any number of lines, none included', () => {
    expect(ok('start\n...\nend', 'start\nend')).toBe(true);
    expect(ok('start\n...\nend', 'start\n#1 build\n#2 build\nend')).toBe(true);
    expect(ok('start\n...\nend', 'start\n#1 build\nend?')).toBe(false);
    expect(ok('...\nlast', 'a\nb\nlast')).toBe(true);
  });

  it('lets `...` inside a line stand for any text', () => {
    expect(ok('... ipc-lab-images.tar', '-rw------- 1 root root 408M Nov 26 17:08 ipc-lab-images.tar')).toBe(true);
    expect(ok('first torn read: fields ...', 'first torn read: fields 0..8 said 1, fields 9..62 said 0')).toBe(true);
    expect(ok('... ipc-lab-images.tar', 'ipc-lab-images.tar.gz')).toBe(false);
  });

  it('matches each placeholder against its own kind of value only', () => {
    expect(ok('shmget(<key>, 0, 0) = <shmid>', 'shmget(0x4c00096e, 0, 0) = 7')).toBe(true);
    expect(ok('shmget(<key>, 0, 0) = <shmid>', 'shmget(0x4c00096e, 0, 0) = -1')).toBe(false);
    expect(ok('key <key>', 'key 0x1234')).toBe(false); // a key is printed with 8 hex digits
    expect(ok('at <address>', 'at 0x7f09a8904000')).toBe(true);
    expect(ok('ctime <time> (<age> ago)', 'ctime 2026-11-26 17:02:36 UTC (19 s ago)')).toBe(true);
    expect(ok('ctime <time> (<age> ago)', 'ctime yesterday (19 s ago)')).toBe(false);
    expect(ok('Docker Compose version <version>', 'Docker Compose version v2.29.7-desktop.1')).toBe(true);
    expect(ok('<n> MB/s', '1371.4 MB/s')).toBe(true);
    expect(ok('<n> MB/s', 'fast MB/s')).toBe(false);
  });

  it('holds a named placeholder to one value, across lines and across steps', () => {
    const server = 'shmget(0x4c00096e, 1024, IPC_CREAT|IPC_EXCL|0600) = 3';
    expect(ok('shmget(<key:k>, 1024, IPC_CREAT|IPC_EXCL|0600) = <shmid:s>\nsegment <shmid:s>', `${server}\nsegment 3`)).toBe(true);
    expect(ok('shmget(<key:k>, 1024, IPC_CREAT|IPC_EXCL|0600) = <shmid:s>\nsegment <shmid:s>', `${server}\nsegment 4`)).toBe(false);
    const first = matchOutput('= <shmid:s>', '= 3');
    expect(first.ok).toBe(true);
    const bindings = first.ok ? first.bindings : new Map<string, string>();
    expect(matchOutput('segment <shmid:s>', 'segment 3', bindings).ok).toBe(true);
    expect(matchOutput('segment <shmid:s>', 'segment 4', bindings).ok).toBe(false);
    expect(matchOutput('segment <shmid:other>', 'segment 4', bindings).ok).toBe(true);
    // unnamed placeholders bind nothing
    expect(ok('<shmid> <shmid>', '1 2')).toBe(true);
  });

  it('compares a bound placeholder as its value, not by its first capture', () => {
    const first = matchOutput('= <shmid:s>', '= 3');
    const bindings = first.ok ? first.bindings : new Map<string, string>();
    expect(matchOutput('segment <shmid:s>...', 'segment 34', bindings).ok).toBe(true);
    expect(ok('<shmid:x> and <shmid:x>', '12 and 12')).toBe(true);
    expect(ok('<shmid:x> and <shmid:x>', '12 and 1')).toBe(false);
  });

  it('names the earlier value when only a binding stands in the way', () => {
    const first = matchOutput('ftok = <key:k>', 'ftok = 0x4c00096e');
    const bindings = first.ok ? first.bindings : new Map<string, string>();
    const result = matchOutput('found <key:k>', 'found 0x4c000971', bindings);
    expect(!result.ok && result.reason).toContain('it would match but for <key:k>, which was 0x4c00096e earlier in the handout');
  });

  it('gives up on a hopelessly ambiguous block with a message instead of hanging', () => {
    const expected = ['...', '<n:a>', '...', '<n:b>', '...', '<n:c>', '...', 'never'].join('\n');
    const actual = Array.from({ length: 400 }, (_, i) => String(i)).join('\n');
    const started = performance.now();
    const result = matchOutput(expected, actual);
    expect(result.ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('backtracks through `...` to find the binding that fits', () => {
    expect(ok('...\nid <shmid:s>\n...\nagain <shmid:s>', 'id 1\nid 2\nagain 2')).toBe(true);
  });

  it('reads `\\<key>` as the text <key>, and unknown names in angle brackets as text', () => {
    expect(ok('ipcrm -M \\<key>', 'ipcrm -M <key>')).toBe(true);
    expect(ok('ipcrm -M \\<key>', 'ipcrm -M 0x4c00096e')).toBe(false);
    expect(ok('<none>:<none>', '<none>:<none>')).toBe(true);
  });

  it('says which expected line failed and shows the output with the place marked', () => {
    const result = matchOutput('a\nb\nc', 'a\nb\nX');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('expected line 3, "c", does not match output line 3 (marked >)');
    expect(result.reason).toMatch(/> +3 \| X/);
    const after = matchOutput('a\n...\nz', 'a\nb\nc');
    expect(!after.ok && after.reason).toContain('expected line 3, "z", matches no output line from line 2 (marked >) on');
    const short = matchOutput('a\nb', 'a');
    expect(!short.ok && short.reason).toContain('does not match anything: the output ended before it');
    const extra = matchOutput('a', 'a\nmore');
    expect(!extra.ok && extra.reason).toContain('output line 2 (marked >) and those after it are not in the expected block');
  });

  it("accepts stdout and stderr from a pipe in another interleaving, each stream's own order kept", () => {
    // What docker compose exec -T delivered once in CI: the error before the notes printed first.
    const expected = 'note 1\nnote 2\nerror: EEXIST\nhint: remove it';
    const streams = {
      arrived: 'error: EEXIST\nnote 1\nhint: remove it\nnote 2\n',
      stdout: 'note 1\nnote 2\n',
      stderr: 'error: EEXIST\nhint: remove it\n',
    };
    expect(matchOutput(expected, streams).ok).toBe(true);
    // As one stream (a terminal), the order is exact.
    expect(matchOutput(expected, streams.arrived).ok).toBe(false);
    // Within a stream the order still counts, and every line of both must be expected.
    expect(matchOutput('note 2\nnote 1\nerror: EEXIST\nhint: remove it', streams).ok).toBe(false);
    expect(matchOutput('note 1\nnote 2\nerror: EEXIST', streams).ok).toBe(false);
    expect(matchOutput('note 1\n...\nhint: remove it', streams).ok).toBe(true);
  });

  it('explains a mismatch in the order the output arrived, with bindings from the stream match', () => {
    const streams = { arrived: 'err <shmid:x>\nout 7\n', stdout: 'out 7\n', stderr: 'err 7\n' };
    const bound = matchOutput('out <shmid:s>\nerr <shmid:s>', { ...streams, arrived: 'err 7\nout 7\n' });
    expect(bound.ok && bound.bindings.get('shmid:s')).toBe('7');
    const result = matchOutput('out 7\nerr 8', streams);
    expect(!result.ok && result.reason).toMatch(/> +1 \| err <shmid:x>/);
  });
});
