/**
 * Counts of the process's open network handles, from `process.getActiveResourcesInfo()`. A socket
 * a server forgot to release, or a server that never closed, stays in these counts.
 */
export interface HandleCounts {
  sockets: number;
  servers: number;
}

/**
 * The open TCP sockets and listening servers of this process right now. Both ends of a loopback
 * connection count, so one leaked server-side socket shows as one more than the baseline.
 *
 * @example
 * ```ts
 * const before = openHandles();
 * await exercise();
 * await waitFor(() => openHandles().sockets <= before.sockets, "sockets released");
 * ```
 */
export function openHandles(): HandleCounts {
  let sockets = 0;
  let servers = 0;
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "TCPSocketWrap") sockets++;
    else if (kind === "TCPServerWrap") servers++;
  }
  return { sockets, servers };
}

/**
 * Every active resource kind with its count (sockets, servers, timers, file requests...), for the
 * soak figures.
 *
 * @example
 * ```ts
 * console.log(activeResources()); // { TCPServerWrap: 1, Timeout: 2 }
 * ```
 */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
