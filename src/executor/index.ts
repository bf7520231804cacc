// Running jobs' modules (`ProcessExecutor`), and the one rule set for module configs that the solver shares.

export {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  ProcessExecutor,
  type ExecutionResult,
  type Executor,
  type ProcessExecutorOptions,
} from "./executor";
export { checkModuleConfig, type ModuleConfigRules } from "./module";
export { DEFAULT_OUTPUTS, MAX_TEMPLATE_BYTES, renderTemplate, type ModuleTemplate } from "./template";
export {
  ExecutionError,
  ModuleResolveError,
  TemplateError,
  type ExecutionFailure,
  type ModuleResolveReason,
} from "./errors";
