#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm run build writes dist/; the image has it).
// In a checkout where nothing is built yet, it runs the TypeScript sources through tsx instead,
// and where neither is there it says what to run rather than printing a stack trace.
const dist = new URL('../dist/cli.js', import.meta.url);
const source = new URL('../src/cli.ts', import.meta.url);

async function load() {
  try {
    return await import(dist.href);
  } catch (error) {
    const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(dist.pathname);
    if (!missing) throw error;
  }
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return await import(source.href);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(
      'ipc-lab: not built yet (no dist/cli.js): run `npm run build` once, or `npm run lab -- <command>` in a checkout after `npm ci`\n',
    );
    process.exit(1);
  }
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
