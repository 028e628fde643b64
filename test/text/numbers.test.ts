import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatG } from '../../src/text/numbers.ts';

const samples = [
  22 / 7,
  0,
  -0,
  1,
  100,
  123456,
  999999.5,
  1234567,
  1e6,
  0.0001,
  0.00001234,
  -2.5,
  1 / 3,
  6.02214076e23,
  1.5e-300,
  Number.MAX_VALUE,
  5e-324,
];

describe('formatG', () => {
  it('prints what printf("%g") prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-g-'));
    try {
      const src = join(dir, 'g.c');
      writeFileSync(
        src,
        `#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) printf("%g\\n", strtod(v[i], ` +
          `NULL)); return 0; }\n`,
      );
      execFileSync('gcc', ['-o', join(dir, 'g'), src]);
      const c = execFileSync(
        join(dir, 'g'),
        samples.map((v) => (Object.is(v, -0) ? '-0' : String(v))),
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      expect(samples.map((v) => formatG(v))).toEqual(c);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names NaN and the infinities as C does', () => {
    expect([NaN, Infinity, -Infinity].map((v) => formatG(v))).toEqual(['nan', 'inf', '-inf']);
  });
});
