/**
 * The layers the tree shows, kept: each folder of src/ imports only from itself and the layers
 * below it (libc -> sysv -> layout -> labs -> tools -> cli), with core/ and text/ beside every
 * layer, and Docker reached only from the command line. Read from the sources' import lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.ts';

const SRC = join(ROOT, 'src');
const BESIDE = ['core', 'text'];
/** What each layer may import, besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  text: ['core'],
  libc: [],
  sysv: ['libc', ...BESIDE],
  posix: ['libc', 'sysv', ...BESIDE],
  layout: [...BESIDE],
  labs: ['posix', 'sysv', 'layout', ...BESIDE],
  tools: ['labs', 'posix', 'sysv', 'layout', ...BESIDE],
  view: ['tools', 'labs', 'posix', 'sysv', 'layout', ...BESIDE],
  docker: [...BESIDE],
  bench: ['labs', 'posix', 'sysv', 'layout', ...BESIDE],
  // The exercises' commands: a check drives Docker through compose (bench.ts), as make does.
  exercises: ['docker', 'tools', 'labs', 'posix', 'sysv', 'layout', ...BESIDE],
  cli: ['docker', 'view', 'tools', 'labs', 'posix', 'sysv', 'layout', 'libc', ...BESIDE],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** src/labs/ring/ring.ts -> labs; src/cli.ts -> cli. */
const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

const imports = sources(SRC).flatMap((file) =>
  [
    ...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from '(\.[^']+)'/gm),
    ...readFileSync(file, 'utf8').matchAll(/import\('(\.[^']+)'\)/g),
  ].map((m) => ({ file: relative(ROOT, file), from: layerOf(file), to: layerOf(resolve(dirname(file), m[1]!)) })),
);

describe('the layers of src/', () => {
  it('are the folders the README names, and nothing else', () => {
    expect(new Set(sources(SRC).map(layerOf))).toEqual(new Set(Object.keys(MAY_IMPORT)));
  });

  it('import only downwards', () => {
    const wrong = imports
      .filter((i) => i.to !== i.from && !MAY_IMPORT[i.from]!.includes(i.to))
      .map((i) => `${i.file} imports from ${i.to}/`);
    expect(wrong).toEqual([]);
    expect(imports.length).toBeGreaterThan(100);
  });

  it('reach Docker only from the command line', () => {
    expect(imports.filter((i) => i.to === 'docker' && i.from !== 'docker' && i.from !== 'cli').map((i) => i.file)).toEqual([]);
  });

  it('load koffi only in libc/', () => {
    const koffi = sources(SRC)
      .filter((f) => /from 'koffi'/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f).split('/')[0]);
    expect(new Set(koffi)).toEqual(new Set(['libc']));
  });
});

describe('the code', () => {
  it('keeps to 140 columns, the width biome.json formats to', () => {
    const files = ['src', 'test', 'scripts'].flatMap((d) => sources(join(ROOT, d)));
    const long = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.length > 140 ? [`${relative(ROOT, f)}:${i + 1}`] : [])),
    );
    expect(long).toEqual([]);
  });
});
