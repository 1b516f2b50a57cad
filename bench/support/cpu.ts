/**
 * How the bench asks a forked server for the CPU time it has used: `{ type: 'cpu', id }` over IPC,
 * answered with `process.cpuUsage()`. Read before and after a load run, the difference over the
 * requests answered is the server's CPU per request, which the load generator and the database
 * (separate processes) do not blur. Kept apart from load.ts so servers do not load autocannon.
 */

/** Asked of a forked server; it answers with a {@link CpuMessage} carrying the same id. */
export interface CpuRequest {
  type: 'cpu';
  id: number;
}

/** The server process's own CPU time so far, in microseconds. */
export interface CpuMessage {
  type: 'cpu';
  id: number;
  user: number;
  system: number;
}

/** Answers the bench's CPU questions: call once in each forked server module. */
export function answerCpuRequests(): void {
  process.on('message', (msg: unknown) => {
    const m = msg as Partial<CpuRequest> | null;
    if (typeof m !== 'object' || m === null || m.type !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    const reply: CpuMessage = { type: 'cpu', id: Number(m.id), user, system };
    process.send?.(reply);
  });
}
