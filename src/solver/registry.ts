// The solver in ServiceRegistry: it announces its API's URL under the Solver role, and agents find solvers there
// (the reference finds its solver's URL on chain the same way).

import type { RegistryClient, ServiceEntry } from "../clients/registry";

/**
 * Registers the registry client's signer as a solver at `url`: a new entry with the Solver role, or, for an account
 * already registered (with other roles too), the Solver role added and the URL replaced. Does nothing when the
 * entry already says so.
 */
export async function announceSolver(registry: RegistryClient, url: string): Promise<ServiceEntry> {
  const current = await registry.getService();
  if (!current.registered) await registry.register({ roles: ["Solver"], url });
  else if (!current.roles.includes("Solver") || current.url !== url) {
    await registry.update({ addRoles: ["Solver"], url });
  }
  return registry.getService();
}

/** The registered solvers that give an HTTP(S) URL, in the registry's order. */
export async function findSolvers(registry: RegistryClient): Promise<ServiceEntry[]> {
  const solvers = await registry.getServicesByRole("Solver");
  return solvers.filter((s) => /^https?:\/\//.test(s.url));
}
