import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEY, SEGMENT_OPTIONS, timeout } from '../../src/cli/commands.ts';
import { parseOptions } from '../../src/cli/options.ts';
import { UsageError } from '../../src/core/errors.ts';

afterEach(() => vi.unstubAllEnvs());

const SPECS = { ...KEY, ...SEGMENT_OPTIONS, timeout: timeout(10, 'how long') };
const parse = (args: string[]) => parseOptions(args, SPECS).values;
const keyChoice = (v: ReturnType<typeof parse>) => ({ key: v.key, keyFile: v.keyFile, projectId: v.projectId });

describe('command-line options', () => {
  it('takes defaults, flags, and environment variables, flags first', () => {
    expect(keyChoice(parse([]))).toEqual({ key: undefined, keyFile: '/tmp/ipc-lab.key', projectId: 0x4c });
    vi.stubEnv('IPC_LAB_KEY_FILE', '/shared/key');
    vi.stubEnv('IPC_LAB_PROJECT_ID', 'A');
    expect(keyChoice(parse([]))).toEqual({ key: undefined, keyFile: '/shared/key', projectId: 65 });
    expect(parse(['--key-file', '/other', '--project-id', '0x10']).keyFile).toBe('/other');
    expect(parse(['--key', '0xdeadbeef']).key).toBe(0xdeadbeef | 0);
    expect(parse(['--size', '4096']).size).toBe(4096);
    expect(parse(['--mode', '0640']).mode).toBe(0o640);
    expect(parse(['--timeout', '2.5']).timeout).toBe(2.5);
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
    const run = () => parse(args);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it('says which environment variable was wrong', () => {
    vi.stubEnv('IPC_LAB_SIZE', 'big');
    expect(() => parse([])).toThrow(/IPC_LAB_SIZE \(environment\) is "big"/);
  });

  it('turns unknown options into usage errors', () => {
    expect(() => parse(['--colour'])).toThrow(UsageError);
    expect(() => parse(['--colour'])).toThrow(/Unknown option '--colour'/);
  });
});
