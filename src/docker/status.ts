/**
 * ipc-lab lab status (make inspect): the lab's containers as the Docker Engine sees them,
 * which IPC namespace each is in, how locked down each is, and `ipcs -m` inside the shared
 * namespace. Runs on the host (macOS, Windows or Linux), talking to Docker through dockerode:
 * under Docker Desktop the segment lives in a Linux VM, so `ipcs` on the host cannot see it.
 */
import type { Narrator } from '../text/narrate.ts';
import { colorEnabled } from '../text/style.ts';
import { renderTable } from '../text/table.ts';
import { ComposeLab, type LabContainer } from './compose-lab.ts';

/** running, exited (0), or created: a container Compose made but never started (make up was interrupted). */
export function stateText(c: LabContainer): string {
  if (c.status === 'exited' || c.status === 'dead') return `${c.status} (${c.exitCode})`;
  return c.status === 'created' ? 'created (never started)' : c.status;
}

function ipcModeText(c: LabContainer, all: readonly LabContainer[]): string {
  const joined = c.ipcMode.match(/^container:(.+)$/);
  if (!joined) return c.ipcMode;
  const donor = all.find((d) => d.id === joined[1] || d.name === joined[1]);
  return `container:${joined[1]!.slice(0, 12)}${donor ? ` (${donor.service})` : ' (gone: restart the lab)'}`;
}

function lockdown(c: LabContainer): string {
  const parts = [
    c.capDrop.includes('ALL') && c.capAdd.length === 0 ? 'no caps' : `caps +${c.capAdd.join(',') || '?'}`,
    c.readOnlyRoot ? 'ro root' : 'rw root',
    `net ${c.networkMode}`,
  ];
  if (c.securityOpt.some((o) => o.startsWith('no-new-privileges'))) parts.push('no-new-privs');
  return parts.join(', ');
}

/** Running containers that joined a donor's namespace but are no longer in it. */
export function staleJoiners(
  containers: readonly LabContainer[],
  namespaces: ReadonlyMap<string, string>,
): Array<{ joiner: LabContainer; donor: LabContainer }> {
  const stale: Array<{ joiner: LabContainer; donor: LabContainer }> = [];
  for (const joiner of containers) {
    const donorId = joiner.ipcMode.match(/^container:(.+)$/)?.[1];
    const donor = containers.find((d) => d.id === donorId || d.name === donorId);
    if (!joiner.running || !donor?.running) continue;
    const mine = namespaces.get(joiner.id);
    const theirs = namespaces.get(donor.id);
    if (mine && theirs && mine !== '?' && theirs !== '?' && mine !== theirs) stale.push({ joiner, donor });
  }
  return stale;
}

/** The labs that run beside the message lab, each in a namespace of its own donor's. */
const OTHER_LABS = [
  { service: 'posix-server', lab: 'posix', look: ['ls', '-l', '/dev/shm'], what: 'a POSIX object is a file on its /dev/shm' },
  { service: 'queue-dispatcher', lab: 'queue', look: ['ipcs', '-q'], what: 'the workers share its IPC namespace' },
] as const;

export async function runLabStatus(_options: object, say: Narrator): Promise<number> {
  const lab = new ComposeLab();
  const containers = await lab.containers();
  if (containers.length === 0) {
    say.warn(`The compose project ${lab.project} has no containers: start the lab with \`make up\`.`);
    return 1;
  }
  const namespaces = new Map<string, string>();
  for (const c of containers.filter((x) => x.running)) {
    namespaces.set(c.id, await lab.ipcNamespace(c).catch(() => '?'));
  }
  say.step(`the ${lab.project} containers`);
  say.block(
    renderTable(
      ['service', 'container', 'state', 'user', 'IpcMode', 'IPC namespace', 'lockdown'],
      containers.map((c) => [
        c.service,
        c.name,
        stateText(c),
        c.user || 'root',
        ipcModeText(c, containers),
        namespaces.get(c.id) ?? '-',
        lockdown(c),
      ]),
    ),
  );
  const stale = staleJoiners(containers, namespaces);
  for (const { joiner, donor } of stale) {
    say.warn(
      `${joiner.name} is in IPC namespace ${namespaces.get(joiner.id)}, but ${donor.name}, whose namespace it joined, is now in ` +
        `${namespaces.get(donor.id)}.`,
    );
    say.note(
      `${donor.name} was restarted. A container that joins another's namespace (ipc: "service:${donor.service}") joins once, ` +
        'when it starts, and keeps the old namespace when its donor restarts: a known Docker limitation. It can no longer see ' +
        'the segment. Run `make up`, which recreates the whole lab.',
    );
  }
  const running = (service: string): boolean => containers.some((c) => c.service === service && c.running);
  const env = colorEnabled() ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' };
  let status = stale.length > 0 ? 1 : 0;
  // Each lab's objects are seen from inside the namespace that holds them: the donor's container.
  const others = OTHER_LABS.filter((o) => running(o.service));
  if (running('server')) {
    say.step("ipcs -m, inside the server's IPC namespace (the client shares it)");
    const ipcs = await lab.exec('server', ['ipcs', '-m']);
    say.block(ipcs.stdout.trimEnd());
    say.note('Under Docker Desktop this namespace is inside a Linux VM: `ipcs -m` on the host shows none of it.');
    say.step('ipc-lab inspect, run inside the server container');
    const inspect = await lab.exec('server', ['ipc-lab', 'inspect'], env);
    say.block(inspect.stdout.trimEnd());
    if (inspect.stderr) say.block(inspect.stderr.trimEnd());
    status ||= ipcs.exitCode || inspect.exitCode;
  } else if (others.length === 0) {
    say.warn('The server is not running, so its IPC namespace (and the segment) is gone.');
    return 1;
  }
  for (const other of others) {
    say.step(`${other.look.join(' ')}, inside ${other.service} (${other.what})`);
    const listed = await lab.exec(other.service, other.look);
    say.block(listed.stdout.trimEnd());
    say.step(`ipc-lab inspect --lab ${other.lab}, run inside ${other.service}`);
    const inspect = await lab.exec(other.service, ['ipc-lab', 'inspect', '--lab', other.lab, '--timeout', '2'], env);
    say.block(inspect.stdout.trimEnd());
    if (inspect.stderr) say.block(inspect.stderr.trimEnd());
    status ||= inspect.exitCode;
  }
  return status;
}
