/** Every program refuses bad options the same way: exit code 2, the option named, what it takes. */
import { describe, expect, it } from 'vitest';
import { labFixture } from '../support/lab-fixture.ts';

const lab = labFixture();

describe('bad command lines', () => {
  it.each([
    [['server', '--size', '10'], /--size is "10": give a size in bytes from 80/],
    [['server', '--mode', 'rw-rw-rw-'], /--mode is "rw-rw-rw-": give permission bits in octal/],
    [['server', '--project-id', '300'], /--project-id is "300": give a project id from 1 to 255/],
    [['server', '--step=-1'], /--step is "-1": give a number of seconds/],
    [['client', '--key', 'nope'], /--key is "nope": give a key from 1 to 0xffffffff/],
    [['client', '--timeout', 'soon'], /--timeout is "soon"/],
    [['client', '--key-file', ''], /--key-file is empty/],
    [['inspect', '--shmid', 'abc'], /--shmid is "abc": give a shmid as ipcs -m lists it/],
    [['inspect', '--json', '--watch'], /--json and --watch do not go together/],
    [['race', 'sideways'], /race takes writer or reader, not "sideways"/],
    [['ring', 'producer', '--slots', '0'], /--slots is "0": give a whole number from 1 to 1024/],
    [['ring', 'producer', '--bytes', 'lots'], /--bytes is "lots": give a size such as 4096, 64KiB or 256MiB/],
    [['clean', '--bogus'], /Unknown option '--bogus'/],
    [['check', '--key', '0'], /IPC_PRIVATE, which no other process can look up/],
  ])('ipc-lab %j', async (args, message) => {
    const out = await lab.run(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/Run 'ipc-lab \w+ --help' for the options/);
    expect(out.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown command lists the commands, exit code 2', async () => {
    const out = await lab.run(['serve']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/unknown command "serve"/);
    expect(out.stderr).toMatch(/server\s+create the segment/);
  });
});
