// The solver in ServiceRegistry: it announces its API's URL under the Solver role, and agents find solvers there
// (the reference finds its solver's URL on chain the same way).

import type { RegistryClient, ServiceEntry } from "../clients/registry";
import type { ServiceTypeName } from "../model/types";

/**
 * Registers the registry client's signer under `role` at `url`: a new entry with the role, or, for an account already
 * registered (with other roles too), the role added and the URL replaced (kept when `url` is empty). Does nothing when
 * the entry already says so. Used by the solver and the agents alike.
 */
export async function announceService(
  registry: RegistryClient,
  role: ServiceTypeName,
  url: string,
): Promise<ServiceEntry> {
  const current = await registry.getService();
  if (!current.registered) await registry.register({ roles: [role], url });
  else if (!current.roles.includes(role) || (url !== "" && current.url !== url)) {
    await registry.update({ addRoles: [role], ...(url !== "" ? { url } : {}) });
  }
  return registry.getService();
}

/** Registers the registry client's signer as a solver at `url` (announceService with the Solver role). */
export function announceSolver(registry: RegistryClient, url: string): Promise<ServiceEntry> {
  return announceService(registry, "Solver", url);
}

/** The registered solvers that give an HTTP(S) URL, in the registry's order. */
export async function findSolvers(registry: RegistryClient): Promise<ServiceEntry[]> {
  const solvers = await registry.getServicesByRole("Solver");
  return solvers.filter((s) => /^https?:\/\//.test(s.url));
}
