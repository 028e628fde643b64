import { afterEach, describe, expect, it, vi } from 'vitest';
import { keyChoice, parseOptions, permissionMode, seconds, segmentSize, UsageError, KEY_OPTIONS } from '../src/options.ts';

afterEach(() => vi.unstubAllEnvs());

const parse = (args: string[]) => parseOptions(args, { ...KEY_OPTIONS, size: { type: 'string' }, mode: { type: 'string' }, timeout: { type: 'string' } });

describe('command-line options', () => {
  it('takes defaults, flags, and environment variables, flags first', () => {
    expect(keyChoice(parse([]))).toEqual({ key: undefined, keyFile: '/tmp/ipc-lab.key', projectId: 0x4c });
    vi.stubEnv('IPC_LAB_KEY_FILE', '/shared/key');
    vi.stubEnv('IPC_LAB_PROJECT_ID', 'A');
    expect(keyChoice(parse([]))).toEqual({ key: undefined, keyFile: '/shared/key', projectId: 65 });
    expect(keyChoice(parse(['--key-file', '/other', '--project-id', '0x10'])).keyFile).toBe('/other');
    expect(keyChoice(parse(['--key', '0xdeadbeef'])).key).toBe(0xdeadbeef | 0);
    expect(segmentSize(parse(['--size', '4096']))).toBe(4096);
    expect(permissionMode(parse(['--mode', '0640']))).toBe(0o640);
    expect(seconds(parse(['--timeout', '2.5']), 'timeout', 'IPC_LAB_TIMEOUT', 10)).toBe(2.5);
  });

  it.each([
    [['--key', 'banana'], /--key is "banana": give a key from 1 to 0xffffffff/],
    [['--key', '0'], /IPC_PRIVATE/],
    [['--key', '0x100000000'], /--key/],
    [['--project-id', '0'], /--project-id is "0": give a project id from 1 to 255/],
    [['--project-id', '256'], /1 to 255/],
    [['--size', '79'], /--size is "79": give a size in bytes from 80/],
    [['--size', '-5'], /--size/],
    [['--mode', '999'], /--mode is "999": give permission bits in octal/],
    [['--timeout', 'soon'], /--timeout is "soon": give a number of seconds/],
    [['--key-file', ''], /--key-file is empty/],
  ])('rejects %j, naming the option and what it accepts', (args, message) => {
    const run = () => {
      const values = parse(args);
      keyChoice(values);
      segmentSize(values);
      permissionMode(values);
      seconds(values, 'timeout', 'IPC_LAB_TIMEOUT', 10);
    };
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it('says which environment variable was wrong', () => {
    vi.stubEnv('IPC_LAB_SIZE', 'big');
    expect(() => segmentSize(parse([]))).toThrow(/IPC_LAB_SIZE \(environment\) is "big"/);
  });

  it('turns unknown options into usage errors', () => {
    expect(() => parse(['--colour'])).toThrow(UsageError);
    expect(() => parse(['--colour'])).toThrow(/Unknown option '--colour'/);
  });
});
