/** The README says what the code does: the exit codes from their one table, the tree as it is. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodesText } from '../../src/core/exit-codes.ts';
import { ROOT } from '../support/cli.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const built = README.slice(README.indexOf('## How it is built'), README.indexOf('## Make targets'));
const tree = built.slice(built.indexOf('```\nsrc/'), built.indexOf('```', built.indexOf('```\nsrc/') + 3));
const dirs = (path: string): string[] =>
  readdirSync(join(ROOT, path), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

describe('the README', () => {
  it('lists the exit codes as the table says, word for word', () => {
    expect(README.replace(/\s+/g, ' ')).toContain(exitCodesText());
  });

  it('shows every folder of src/ and of src/labs/ in its tree, and none that is not there', () => {
    for (const dir of dirs('src')) expect(tree, `src/${dir}/`).toMatch(new RegExp(`\\b${dir}/`));
    for (const dir of dirs('src/labs')) expect(tree, `src/labs/${dir}/`).toMatch(new RegExp(`\\b${dir}/`));
    const named = [...tree.matchAll(/^ {2,4}(\w[\w-]*)\/(?= )/gm)].map((m) => m[1]);
    for (const name of named) expect([...dirs('src'), ...dirs('src/labs')], `${name}/ in the README`).toContain(name);
  });
});
