/**
 * Every process test runs in an IPC namespace of its own: a holder process made with
 * `unshare --ipc` keeps the namespace alive, and the test's processes join it with
 * `nsenter --ipc`. Nothing the test makes can touch the machine's segments or another test's,
 * and when the holder goes the kernel frees whatever is left. Needs root (CAP_SYS_ADMIN);
 * where that is missing (a test container), the current namespace is used and tests rely on
 * their own random keys.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export interface SegmentRow {
  key: number;
  shmid: number;
  perms: number;
  size: number;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
}

let canUnshare: boolean | undefined;
function unshareWorks(): boolean {
  canUnshare ??= spawnSync('unshare', ['--ipc', 'true']).status === 0;
  return canUnshare;
}

function parseSysvShm(text: string): SegmentRow[] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const t = line.trim().split(/\s+/);
      const c = t.map(Number);
      return {
        key: c[0]!,
        shmid: c[1]!,
        perms: Number.parseInt(t[2]!, 8),
        size: c[3]!,
        cpid: c[4]!,
        lpid: c[5]!,
        nattch: c[6]!,
        uid: c[7]!,
      };
    });
}

export class IpcNamespace {
  private constructor(private readonly holder: ChildProcess | undefined) {}

  static async create(): Promise<IpcNamespace> {
    if (!unshareWorks()) return new IpcNamespace(undefined);
    const holder = spawn('unshare', ['--ipc', 'sleep', 'infinity'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      holder.once('spawn', resolve);
      holder.once('error', reject);
    });
    // unshare execs sleep in the same process, so its pid is the namespace's; wait until it is.
    for (let i = 0; i < 200; i++) {
      if (IpcNamespace.nsOf(holder.pid!) !== IpcNamespace.nsOf(process.pid)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    return new IpcNamespace(holder);
  }

  private static nsOf(pid: number): string {
    try {
      return readlinkSync(`/proc/${pid}/ns/ipc`);
    } catch {
      return '';
    }
  }

  get isolated(): boolean {
    return this.holder !== undefined;
  }

  /** The command line that runs `argv` inside this namespace. */
  wrap(argv: readonly string[]): string[] {
    return this.holder ? ['nsenter', `--ipc=/proc/${this.holder.pid}/ns/ipc`, '--', ...argv] : [...argv];
  }

  /** The namespace's segments, from /proc/sysvipc/shm as seen inside it. */
  segments(): SegmentRow[] {
    const [cmd, ...args] = this.wrap(['cat', '/proc/sysvipc/shm']);
    const out = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`reading /proc/sysvipc/shm failed: ${out.stderr}`);
    return parseSysvShm(out.stdout);
  }

  /** Keys of the namespace's semaphore sets, from /proc/sysvipc/sem as seen inside it. */
  semaphoreSetKeys(): number[] {
    return this.keysIn('sem');
  }

  /** Keys of the namespace's message queues, from /proc/sysvipc/msg as seen inside it. */
  queueKeys(): number[] {
    return this.keysIn('msg');
  }

  /** The first column (the key) of every row of /proc/sysvipc/FILE, read inside the namespace. */
  private keysIn(file: 'sem' | 'msg'): number[] {
    const [cmd, ...args] = this.wrap(['cat', `/proc/sysvipc/${file}`]);
    const out = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`reading /proc/sysvipc/${file} failed: ${out.stderr}`);
    return out.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  }

  /**
   * How many processes wait in semop for semaphore `num` of the set with `key` to increase
   * (semncnt), from `ipcs -s -i` inside the namespace: 1 once a side sleeps on it.
   */
  semaphoreWaiters(key: number, num: number): number {
    const [list, ...listArgs] = this.wrap(['cat', '/proc/sysvipc/sem']);
    const rows = spawnSync(list!, listArgs, { encoding: 'utf8' }).stdout.trim().split('\n').slice(1);
    const row = rows.map((l) => l.trim().split(/\s+/)).find((f) => Number(f[0]) === (key | 0));
    if (!row) throw new Error(`no semaphore set with key ${key >>> 0} in the namespace`);
    const [cmd, ...args] = this.wrap(['ipcs', '-s', '-i', row[1]!]);
    const out = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`ipcs -s -i ${row[1]} failed: ${out.stderr}`);
    // semnum value ncount zcount pid
    const line = out.stdout.split('\n').find((l) => new RegExp(`^${num}\\s+\\d+\\s+\\d+`).test(l));
    if (!line) throw new Error(`ipcs -s -i ${row[1]} shows no semaphore ${num}:\n${out.stdout}`);
    return Number(line.trim().split(/\s+/)[2]);
  }

  segmentWithKey(key: number): SegmentRow | undefined {
    return this.segments().find((s) => s.key === (key | 0));
  }

  /** Removes the segment, the semaphore set and the message queue with this key, where there are (the test's own). */
  removeKey(key: number): void {
    const row = this.segmentWithKey(key);
    if (row) {
      const [cmd, ...args] = this.wrap(['ipcrm', '-m', String(row.shmid)]);
      const out = spawnSync(cmd!, args, { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`ipcrm -m ${row.shmid} failed: ${out.stderr}`);
    }
    if (this.queueKeys().includes(key | 0)) {
      const [cmd, ...args] = this.wrap(['ipcrm', '-Q', String(key >>> 0)]);
      const out = spawnSync(cmd!, args, { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`ipcrm -Q ${key >>> 0} failed: ${out.stderr}`);
    }
    if (this.semaphoreSetKeys().includes(key | 0)) {
      const [cmd, ...args] = this.wrap(['ipcrm', '-S', String(key >>> 0)]);
      const out = spawnSync(cmd!, args, { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`ipcrm -S ${key >>> 0} failed: ${out.stderr}`);
    }
  }

  /** Removes the segments with these keys (the test's own), then ends the namespace. */
  dispose(keys: readonly number[] = []): void {
    for (const key of keys) this.removeKey(key);
    this.holder?.kill('SIGKILL');
  }
}
