/**
 * Finds a Chromium-family browser for printing handouts to PDF and for the test that reads a
 * rendered handout. Nothing is downloaded: `CHROMIUM=/path/to/browser` picks one, else the
 * usual names on PATH and the usual install places on macOS and Windows (Edge is Chromium too).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { LaunchOptions } from 'playwright-core';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge', 'chrome', 'msedge'];

const places = (env: NodeJS.ProcessEnv): string[] => [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ...[env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA]
    .filter((d): d is string => Boolean(d))
    .flatMap((d) => [join(d, 'Google', 'Chrome', 'Application', 'chrome.exe'), join(d, 'Microsoft', 'Edge', 'Application', 'msedge.exe')]),
];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM) return env.CHROMIUM;
  const suffix = process.platform === 'win32' ? '.exe' : '';
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    for (const name of NAMES) if (dir && existsSync(join(dir, name + suffix))) return join(dir, name + suffix);
  }
  return places(env).find((place) => existsSync(place));
}

export function launchOptions(executablePath: string): LaunchOptions {
  return {
    executablePath,
    // Chromium refuses its sandbox as root (CI, containers): only then is it turned off.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'],
  };
}

export const NO_CHROMIUM =
  'no Chromium, Chrome or Edge found: install one (Debian/Ubuntu: apt install chromium) or set CHROMIUM=/path/to/it';
