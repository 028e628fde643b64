/**
 * How a C compiler lays out a struct, in a dozen lines: each field starts at the next offset
 * that is a multiple of its type's alignment, and the struct's size is rounded up to the
 * largest alignment so that arrays of it keep every member aligned. The bytes skipped are
 * padding. (The x86_64 and aarch64 System V ABIs agree on the sizes and alignments below.)
 */
export const C_TYPES = {
  char: { size: 1, align: 1 },
  uint8_t: { size: 1, align: 1 },
  uint16_t: { size: 2, align: 2 },
  uint32_t: { size: 4, align: 4 },
  int32_t: { size: 4, align: 4 },
  uint64_t: { size: 8, align: 8 },
  double: { size: 8, align: 8 },
} as const;

export type CType = keyof typeof C_TYPES;

export interface FieldSpec {
  readonly name: string;
  readonly ctype: CType;
  /** Array length for `type name[count]`; absent for a scalar. */
  readonly count?: number;
}

export interface Field extends FieldSpec {
  /** Offset from the start of the segment. */
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** Padding bytes the compiler inserted just before this field. */
  readonly paddingBefore: number;
  /** The field as C declares it, e.g. `char intro[19]`. */
  readonly declaration: string;
}

export interface StructLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Field[];
  /** Padding after the last field, up to the struct's alignment. */
  readonly tailPadding: number;
}

const roundUp = (n: number, align: number): number => Math.ceil(n / align) * align;

export function layoutStruct(name: string, offset: number, specs: readonly FieldSpec[]): StructLayout {
  let cursor = 0;
  let structAlign = 1;
  const fields = specs.map((spec): Field => {
    const { size: elementSize, align } = C_TYPES[spec.ctype];
    const start = roundUp(cursor, align);
    const size = elementSize * (spec.count ?? 1);
    const field: Field = {
      ...spec,
      offset: offset + start,
      size,
      align,
      paddingBefore: start - cursor,
      // count 0 is C's flexible array member, `uint8_t data[]`: no bytes of its own, at the end
      declaration: `${spec.ctype} ${spec.name}${spec.count === undefined ? '' : `[${spec.count === 0 ? '' : spec.count}]`}`,
    };
    cursor = start + size;
    structAlign = Math.max(structAlign, align);
    return field;
  });
  const size = roundUp(cursor, structAlign);
  return { name, offset, size, align: structAlign, fields, tailPadding: size - cursor };
}

/** The field called `name`: a misspelt name is a bug, so it throws. */
export function fieldOf(struct: StructLayout, name: string): Field {
  const field = struct.fields.find((f) => f.name === name);
  if (!field) throw new Error(`no field ${name} in struct ${struct.name}`);
  return field;
}

/** The same struct placed at another offset in a segment (a ring's slot i, say). */
export function placeStruct(struct: StructLayout, offset: number): StructLayout {
  const delta = offset - struct.offset;
  return { ...struct, offset, fields: struct.fields.map((f) => ({ ...f, offset: f.offset + delta })) };
}

/** The struct as C declares it, one field a line: what the C probes and the gcc checks compile. */
export function cDeclaration(struct: StructLayout): string {
  return `struct ${struct.name} {\n${struct.fields.map((f) => `    ${f.declaration};`).join('\n')}\n};`;
}
