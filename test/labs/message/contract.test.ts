import { describe, expect, it } from 'vitest';
import { HEADER, MIN_SEGMENT_SIZE, PI_MESSAGE } from '../../../src/labs/message/contract.ts';
import { runC } from '../../support/c-programs.ts';

describe('the segment contract', () => {
  const gcc = JSON.parse(runC('layout-probe', [])) as Record<string, { offset: number; size: number } | number>;

  it.each([...HEADER.fields.map((f) => [HEADER, f] as const), ...PI_MESSAGE.fields.map((f) => [PI_MESSAGE, f] as const)])(
    '%s.%s sits where gcc puts it',
    (struct, field) => {
      expect(gcc[`${struct.name}.${field.name}`]).toEqual({ offset: field.offset - struct.offset, size: field.size });
    },
  );

  it('has the sizes gcc reports', () => {
    expect(HEADER.size).toBe(gcc['sizeof.lab_header']);
    expect(PI_MESSAGE.size).toBe(gcc['sizeof.pi_message']);
    expect(PI_MESSAGE.align).toBe(gcc['alignof.pi_message']);
  });

  it('puts the teaching landmarks at the documented offsets', () => {
    const at = (name: string) => PI_MESSAGE.fields.find((f) => f.name === name)!;
    expect(HEADER.size).toBe(16);
    expect(at('numerator').offset).toBe(36);
    expect(at('numerator').paddingBefore).toBe(1);
    expect(at('denominator').paddingBefore).toBe(3);
    expect(at('value').offset).toBe(56);
    expect(at('value').paddingBefore).toBe(5);
    expect(at('outro').offset).toBe(64);
    expect(PI_MESSAGE.size).toBe(64);
    expect(PI_MESSAGE.tailPadding).toBe(6);
    expect(MIN_SEGMENT_SIZE).toBe(80);
  });
});
