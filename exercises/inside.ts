/** The workbench container's entry point: a check's probe, run in the lab's IPC namespace (src/exercises/inside.ts). */
import { insideMain } from '../src/exercises/inside.ts';
import { EXERCISES } from './index.ts';

process.exitCode = await insideMain(EXERCISES, process.argv.slice(2));
