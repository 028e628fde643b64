/** The exercises' command line on the host (npm run exercise -- check 3): src/exercises/cli.ts with the registry. */
import { main } from '../src/exercises/cli.ts';
import { EXERCISES } from './index.ts';

process.exitCode = await main(EXERCISES, process.argv.slice(2));
