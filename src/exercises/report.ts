/** A check's criteria as the student reads them: ok or FAIL each, what was seen, then the verdict. */
import { paint } from '../text/style.ts';
import type { Criterion } from './model.ts';

export function criteriaText(criteria: readonly Criterion[]): string {
  return criteria
    .map((c) => {
      const mark = c.ok ? paint('green', 'ok  ') : paint(['bold', 'red'], 'FAIL');
      const detail = c.detail
        .split('\n')
        .map((line) => `        ${line}`)
        .join('\n');
      return `  ${mark}  ${c.name}\n${detail}`;
    })
    .join('\n');
}

export function verdictText(criteria: readonly Criterion[], number: number): string {
  const passed = criteria.filter((c) => c.ok).length;
  if (passed === criteria.length) return paint('green', `all ${criteria.length} criteria pass: exercise ${number} is done`);
  return `${passed} of ${criteria.length} criteria pass: exercise ${number} is not done yet (make hint N=${number} shows a hint)`;
}
