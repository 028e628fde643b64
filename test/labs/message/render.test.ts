import { describe, expect, it } from 'vitest';
import { THE_MESSAGE } from '../../../src/labs/message/contract.ts';
import { renderMessage } from '../../../src/labs/message/render.ts';

describe('the message as the client prints it', () => {
  it('renders the demo message exactly', () => {
    expect(renderMessage(THE_MESSAGE)).toBe('PI is defined as: 22/7==3.14286\n\ngoodbye');
  });
});
