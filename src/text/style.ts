/**
 * Colour only for a person at a terminal: `docker compose logs`, files and pipes get plain
 * text. NO_COLOR (https://no-color.org) turns it off everywhere, FORCE_COLOR on.
 */
import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

/**
 * The decision is ours (colorEnabled), so styleText must not second-guess it against
 * process.stdout: newer Node versions check the stream unless told not to.
 */
export function paint(format: Format, text: string, enabled = colorEnabled()): string {
  return enabled ? styleText(format, text, { validateStream: false }) : text;
}
