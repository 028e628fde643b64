import { describe, expect, it } from 'vitest';
import { MESSAGE_LAB } from '../../src/labs/message/contract.ts';
import { RING_LAB } from '../../src/labs/ring/contract.ts';
import { gdbArguments, gdbCommands } from '../../src/tools/gdb.ts';

describe('ipc-lab gdb', () => {
  it("prints the message lab's bytes, strings and numbers at the contract's offsets", () => {
    expect(gdbCommands(MESSAGE_LAB, '0x7f00')).toEqual([
      'echo \\n# the header and message, 80 bytes from the attach address\\n',
      'x/80xb 0x7f00',
      'echo \\n# the strings (char arrays, NUL-terminated)\\n',
      'x/s 0x7f00+16',
      'x/s 0x7f00+48',
      'x/s 0x7f00+64',
      'echo \\n# the ints and the double (x/dw: 4-byte decimal, x/fg: 8-byte float)\\n',
      'x/dw 0x7f00+36',
      'x/dw 0x7f00+44',
      'x/fg 0x7f00+56',
    ]);
  });

  it('serves another lab from its contract alone', () => {
    const commands = gdbCommands(RING_LAB, '0x7f00');
    expect(commands).toContain('x/uw 0x7f00+4'); // ring_header.slots
    expect(commands).toContain('x/ug 0x7f00+16'); // ring_header.total_bytes
  });

  it('turns pagination off before attaching, so a small terminal never swallows a quit', () => {
    const args = gdbArguments(42, ['x/80xb 0x7f00'], true);
    expect(args.slice(0, args.indexOf('-p'))).toEqual(expect.arrayContaining(['-iex', 'set pagination off']));
    expect(args).toContain('-tui');
  });
});
