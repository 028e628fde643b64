/**
 * The queue lab as real processes in a private IPC namespace: a dispatcher and two workers on one
 * message queue. Each worker gets its own type only, in order; a slow worker fills the queue, and
 * the dispatcher shows the EAGAIN of IPC_NOWAIT before it blocks; every way of stopping cleans up.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeJob, describeJob, encodeJob } from '../../../src/labs/queue/codec.ts';
import { JOB } from '../../../src/labs/queue/contract.ts';
import type { LabProcess } from '../../support/cli.ts';
import { labFixture } from '../../support/lab-fixture.ts';

const lab = labFixture();

const dispatcher = (...args: string[]): LabProcess => lab.start(['queue', 'dispatcher', '--key', lab.hexKey, ...args]);
const worker = (type: number, ...args: string[]): LabProcess =>
  lab.start(['queue', 'worker', '--type', String(type), '--key', lab.hexKey, ...args]);

/** The jobs a worker printed, as [sequence, text]. */
const jobsOf = (stdout: string, type: number): Array<[number, string]> =>
  [...stdout.matchAll(new RegExp(`^worker ${type}: job (\\d+), "(.*)"$`, 'gm'))].map((m) => [Number(m[1]), m[2]!]);

describe('the queue lab', () => {
  it('gives each worker its own type only, in the order sent, and the dispatcher removes the queue', async () => {
    const d = dispatcher('--jobs', '20');
    const w1 = worker(1);
    const w2 = worker(2, '--delay', '0.02');
    const [dr, r1, r2] = await Promise.all([d.exited, w1.exited, w2.exited]);
    expect([dr.code, r1.code, r2.code], dr.stderr + r1.stderr + r2.stderr).toEqual([0, 0, 0]);
    // Jobs go out as 1, 2, 1, 2, ...: job i (from 1) has type 1 when i is odd, and its text says i.
    const sent = Array.from({ length: 20 }, (_, i) => i + 1);
    for (const type of [1, 2]) {
      const mine = sent.filter((i) => (i % 2 === 1) === (type === 1));
      expect(jobsOf(type === 1 ? r1.stdout : r2.stdout, type)).toEqual(
        mine.map((i, seq) => [seq, expect.stringMatching(new RegExp(` ${i}$`))]),
      );
      expect(type === 1 ? r1.stdout : r2.stdout).toMatch(
        new RegExp(`worker ${type}: 10 jobs, in the order sent, every one of type ${type}`),
      );
    }
    expect(dr.stdout).toMatch(/msgctl\(\d+, IPC_SET, \{msg_qbytes 256\}\) = 0/);
    expect(dr.stdout).toMatch(/msg_qnum 0, msg_cbytes 0/);
    expect(dr.stdout).toMatch(/msgctl\(\d+, IPC_RMID, NULL\) = 0/);
  });

  it('a slow worker fills the queue: EAGAIN under IPC_NOWAIT, explained, then a msgsnd that blocks until there is room', async () => {
    const d = dispatcher('--jobs', '20');
    const w1 = worker(1);
    const w2 = worker(2, '--delay', '0.1');
    const [dr, r1, r2] = await Promise.all([d.exited, w1.exited, w2.exited]);
    expect([dr.code, r1.code, r2.code]).toEqual([0, 0, 0]);
    expect(dr.stdout).toMatch(
      new RegExp(
        String.raw`msgsnd\(\d+, \{mtype [12], job \d+ ".*"\}, 32, IPC_NOWAIT\) = -1 EAGAIN: ` +
          String.raw`the queue is full, 8 messages, 256 of 256 bytes \(msg_qbytes\)`,
      ),
    );
    expect(dr.stdout).toMatch(/without it, msgsnd blocks until there is room/);
    expect(dr.stdout).toMatch(/msgsnd\(\d+, \{mtype [12], job \d+ ".*"\}, 32, 0\) = 0 {3}# blocked \d+ ms, until a worker took a message/);
    expect(jobsOf(r2.stdout, 2).map(([seq]) => seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('inspect --lab queue shows a full queue: ipcs -q, the msg_* fields of IPC_STAT, and the jobs on it', async () => {
    const d = dispatcher('--jobs', '12', '--timeout', '20');
    await d.waitFor(/EAGAIN: the queue is full/);
    const r = await lab.run(['inspect', '--lab', 'queue', '--key', lab.hexKey]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^key\s+msqid\s+owner\s+perms\s+used-bytes\s+messages$/m);
    expect(r.stdout).toMatch(new RegExp(`^${lab.hexKey}\\s+\\d+\\s+\\S+\\s+600\\s+256\\s+8$`, 'm'));
    expect(r.stdout).toMatch(/^msg_qnum\s+8\s+messages on the queue now$/m);
    expect(r.stdout).toMatch(/^msg_cbytes\s+256 bytes/m);
    expect(r.stdout).toMatch(/^msg_qbytes\s+256 bytes\s+the capacity, reached/m);
    expect(r.stdout).toMatch(new RegExp(`^msg_lspid\\s+${d.child.pid} \\(node\\)`, 'm'));
    expect(r.stdout).toMatch(/^msg_lrpid\s+0 \(none yet, or in another PID namespace\)/m);
    expect(r.stdout).toMatch(/^0\s+1\s+32\s+for worker 1: job 0, "wash 1"$/m);
    expect(r.stdout).toMatch(/^7\s+2\s+32\s+for worker 2: job 3, "wash 8"$/m);
    // MSG_COPY copied them: the queue still holds all 8.
    const again = await lab.run(['inspect', '--lab', 'queue', '--key', lab.hexKey, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ stat: { qnum: 8, cbytes: 256, qbytes: 256 } });
    expect(JSON.parse(again.stdout).messages).toHaveLength(8);
    d.kill('SIGTERM');
    const dr = await d.exited;
    expect(dr.code).toBe(0);
    expect(dr.stdout).toMatch(/msgctl\(\d+, IPC_RMID, NULL\) = 0 {3}# removed, which wakes the blocked msgsnd with EIDRM/);
  });

  it('Ctrl-C on a blocked dispatcher: it removes the queue, which wakes its msgsnd (EIDRM), and the workers are told', async () => {
    const d = dispatcher('--jobs', '200');
    const w2 = worker(2, '--delay', '1'); // takes one job, then works on it: the queue fills
    await w2.waitFor(/worker 2: job 0/);
    await d.waitFor(/EAGAIN: the queue is full/);
    d.kill('SIGINT');
    const [dr, r2] = await Promise.all([d.exited, w2.exited]);
    expect(dr.code).toBe(0);
    expect(dr.stdout).toMatch(/SIGINT: stopping/);
    expect(dr.stdout).toMatch(/msgctl\(\d+, IPC_RMID, NULL\) = 0/);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/the dispatcher removed the queue \(IPC_RMID\) before the last job/);
  });

  it('a dispatcher killed with SIGKILL leaves its queue: the worker gives up with the cause, and clean removes it', async () => {
    const d = dispatcher('--jobs', '200');
    const w = worker(1, '--timeout', '1');
    await w.waitFor(/worker 1: job 0/);
    d.kill('SIGKILL');
    await d.exited;
    const r = await w.exited;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no job of type 1 for 1 s, and no last message: the dispatcher is stuck or was killed/);
    expect(lab.ns.queueKeys()).toContain(lab.key | 0);
    const kept = await lab.run(['clean', '--key', lab.hexKey]);
    expect(kept.stdout).toMatch(
      /left alone: message queue \d+ \(--key, key 0x[0-9a-f]{8}, \d+ message\(s\), \d+ bytes, last used .* ago\): used in the last minute/,
    );
    const forced = await lab.run(['clean', '--key', lab.hexKey, '--force']);
    expect(forced.stdout).toMatch(/removed message queue \d+/);
    expect(lab.ns.queueKeys()).not.toContain(lab.key | 0);
  });

  it('a worker with no dispatcher says so after its timeout', async () => {
    const r = await lab.run(['queue', 'worker', '--type', '2', '--key', lab.hexKey, '--timeout', '0.3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nobody created a queue with key 0x[0-9a-f]{8} within 0.3 s: start the dispatcher, in the same IPC namespace/);
  });

  it('refuses a type it has no jobs of, naming what it takes', async () => {
    const r = await lab.run(['queue', 'worker', '--type', '3', '--key', lab.hexKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--type is "3": give a whole number from 1 to 2/);
  });
});

describe('a job on the queue', () => {
  it('round-trips through its 32 bytes', () => {
    expect(decodeJob(encodeJob(7, false, 'wash 15'))).toEqual({ sequence: 7, last: false, text: 'wash 15' });
    expect(decodeJob(encodeJob(3, true, ''))).toEqual({ sequence: 3, last: true, text: '' });
  });

  it('fuzzed: random messages of any size never crash the decoder, and are called not a job unless they are one', () => {
    for (let i = 0; i < 5000; i++) {
      const size = i % 3 === 0 ? JOB.size : Math.floor(Math.random() * 100);
      const data = randomBytes(size);
      const job = decodeJob(data);
      const line = describeJob(1 + (i % 5), data);
      if (job) {
        expect(data.byteLength).toBe(JOB.size);
        expect(line.ours).toBe(true);
      } else expect(line).toEqual({ text: expect.stringMatching(/^not a job: \d+ bytes/), ours: false });
    }
  });
});
