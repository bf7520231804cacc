// Accord's module template (src/executor/README.md): a JSON file naming the command to run, its environment, where
// its results go and its limits, with Go-template placeholders (`{{ .name }}`, `{{ .name | default "x" }}`) for the
// job's inputs. Rendering is structure-safe: the JSON is parsed first and placeholders are substituted inside string
// values only, so an input can change an argument's text but never add an argument, a variable or a field, whatever
// quotes or braces it holds. The result is substituted once: an input holding `{{ .other }}` stays literal.

import { TemplateError } from "./errors";
import { isPlainRelativePath } from "./module";

/** A rendered template: what the executor runs. */
export type ModuleTemplate = {
  /** argv: the program and its arguments, run without a shell. */
  command: string[];
  /** Variables added to the run's minimal environment. */
  env: Record<string, string>;
  /** The directory, relative to the working directory, whose contents are the results. */
  outputs: string;
  /** The module's own wall-time limit, if it sets one. */
  timeoutSeconds?: number;
  /** The module's own memory limit (MiB of address space), if it sets one. */
  memoryMB?: number;
};

/** The largest template file read. */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

export const DEFAULT_OUTPUTS = "outputs";

const FIELDS = ["command", "env", "outputs", "timeoutSeconds", "memoryMB"];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// `{{ .name }}` or `{{ .name | default "literal" }}`, spaces optional; anything else between braces is refused.
const ACTION = /\{\{(.*?)\}\}/gs;
const PLACEHOLDER = /^\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*default\s+("(?:[^"\\]|\\.)*")\s*)?$/s;

/** Substitutes the placeholders of one string value; `field` names it in errors. */
function renderString(value: string, field: string, inputs: Record<string, string>): string {
  return value.replace(ACTION, (action: string, inner: string) => {
    const match = PLACEHOLDER.exec(inner);
    if (match === null) {
      throw new TemplateError(field, `holds ${action}: only {{ .name }} and {{ .name | default "x" }} are supported`);
    }
    const [, name, literal] = match;
    const given = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
    // Sprig's default: it also replaces an empty value.
    if (given !== undefined && given !== "") return given;
    if (literal !== undefined) {
      try {
        return JSON.parse(literal) as string;
      } catch (error) {
        throw new TemplateError(field, `holds a default ${literal} that is not a valid string literal`, {
          cause: error,
        });
      }
    }
    if (given !== undefined) return given;
    throw new TemplateError(`inputs.${name}`, `must be given: the template uses {{ .${name} }} (in ${field})`);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positive(value: unknown, field: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new TemplateError(field, integer ? "must be a whole number > 0" : "must be a number > 0");
  }
  return value;
}

/**
 * Parses a module template and renders it with `inputs`. Throws TemplateError naming the template field (or
 * `inputs.<name>` for a missing input) and the rule.
 */
export function renderTemplate(text: string, inputs: Record<string, string>): ModuleTemplate {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TemplateError("", `must be JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isRecord(parsed)) throw new TemplateError("", "must be a JSON object");
  for (const key of Object.keys(parsed)) {
    if (!FIELDS.includes(key)) throw new TemplateError(key, `is not a template field (${FIELDS.join(", ")})`);
  }

  const { command, env = {}, outputs = DEFAULT_OUTPUTS } = parsed;
  if (!Array.isArray(command) || command.length === 0) {
    throw new TemplateError("command", "must be a non-empty array of strings (argv, run without a shell)");
  }
  const argv = command.map((arg: unknown, i) => {
    if (typeof arg !== "string") throw new TemplateError(`command[${i}]`, "must be a string");
    return renderString(arg, `command[${i}]`, inputs);
  });
  if (argv[0] === "") throw new TemplateError("command[0]", "must name a program");

  if (!isRecord(env)) throw new TemplateError("env", "must be an object of strings");
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const field = `env.${name}`;
    if (!ENV_NAME.test(name)) throw new TemplateError(field, "must be a variable name ([A-Za-z_][A-Za-z0-9_]*)");
    if (name.startsWith("ACCORD_")) throw new TemplateError(field, "must not be set: ACCORD_* is the executor's");
    if (typeof value !== "string") throw new TemplateError(field, "must be a string");
    variables[name] = renderString(value, field, inputs);
  }

  if (typeof outputs !== "string") throw new TemplateError("outputs", "must be a string");
  const outputsDir = renderString(outputs, "outputs", inputs);
  if (!isPlainRelativePath(outputsDir)) {
    throw new TemplateError("outputs", "must be a relative path inside the working directory (no leading /, no ..)");
  }

  const timeoutSeconds = positive(parsed.timeoutSeconds, "timeoutSeconds", false);
  const memoryMB = positive(parsed.memoryMB, "memoryMB", true);
  return {
    command: argv,
    env: variables,
    outputs: outputsDir,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(memoryMB !== undefined ? { memoryMB } : {}),
  };
}
