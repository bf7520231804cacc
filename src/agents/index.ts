// The market's agents (`accord agent …`): a job creator, a resource provider and a mediator, each on its own journal,
// the solver's API and the indexer's events.

export {
  JobCreatorAgent,
  jsonFilesParse,
  type JobCreatorAgentOptions,
  type JobCreatorPolicy,
  type JobSpec,
} from "./job-creator";
export { Journal, JournalLockedError } from "./journal";
export { MediatorAgent, type MediatorAgentOptions, type MediatorPolicy } from "./mediator";
export {
  ResourceProviderAgent,
  type MachineConfig,
  type ProviderFaults,
  type ResourceProviderAgentOptions,
} from "./resource-provider";
export { AgentRuntime, FINAL_STATES, type DealRecord, type IndexedDeal } from "./runtime";
