/** How the lab programs tell a learner what they do: one line per system call, then notes. */
import { paint } from './style.ts';

export interface Narrator {
  /** `name(args) = result`, with a note on what the result means. */
  call(name: string, args: string, result: string, note?: string): void;
  step(text: string): void;
  note(text: string): void;
  good(text: string): void;
  warn(text: string): void;
  block(text: string): void;
}

export function narrator(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Narrator {
  return {
    call(name, args, result, note) {
      const tail = note ? `   ${paint('dim', `# ${note}`)}` : '';
      write(`${paint(['bold', 'cyan'], name)}(${args}) = ${paint('green', result)}${tail}`);
    },
    step: (text) => write(paint('bold', `== ${text}`)),
    note: (text) => write(paint('dim', `   ${text}`)),
    good: (text) => write(paint('green', text)),
    warn: (text) => write(paint('yellow', text)),
    block: (text) => write(text),
  };
}
