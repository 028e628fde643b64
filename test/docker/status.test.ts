import { describe, expect, it } from 'vitest';
import type { LabContainer } from '../../src/docker/compose-lab.ts';
import { stateText, staleJoiners } from '../../src/docker/status.ts';

const container = (id: string, service: string, ipcMode: string, running = true): LabContainer => ({
  id,
  name: `ipc-lab-${service}-1`,
  service,
  running,
  status: running ? 'running' : 'exited',
  exitCode: 0,
  ipcMode,
  user: '10001:10001',
  readOnlyRoot: true,
  capDrop: ['ALL'],
  capAdd: [],
  networkMode: 'none',
  securityOpt: [],
  pid: 1,
});

describe('a joiner left behind by a restarted donor', () => {
  const server = container('s1', 'server', 'shareable');
  const client = container('c1', 'client', 'container:s1');

  it("is found when its namespace differs from its donor's", () => {
    const namespaces = new Map([
      ['s1', 'ipc:[2]'],
      ['c1', 'ipc:[1]'],
    ]);
    expect(staleJoiners([server, client], namespaces)).toEqual([{ joiner: client, donor: server }]);
  });

  it('is not reported when both share one namespace, or when either is not running', () => {
    expect(
      staleJoiners(
        [server, client],
        new Map([
          ['s1', 'ipc:[1]'],
          ['c1', 'ipc:[1]'],
        ]),
      ),
    ).toEqual([]);
    expect(staleJoiners([server, { ...client, running: false }], new Map([['s1', 'ipc:[2]']]))).toEqual([]);
  });
});

describe("a container's state in make inspect", () => {
  it('tells a container that never started from one that ran and exited 0', () => {
    const client = container('c1', 'client', 'container:s1', false);
    expect(stateText(client)).toBe('exited (0)');
    expect(stateText({ ...client, status: 'created' })).toBe('created (never started)');
    expect(stateText({ ...client, running: true, status: 'running' })).toBe('running');
  });
});
