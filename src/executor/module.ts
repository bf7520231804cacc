// The rules a module config (a job offer's `module`) must meet before anyone fetches or runs it: one rule set for the
// solver's intake and the executor, so an offer the solver accepts is one an executor will try, and the other way
// round. Pinning matters: the commit is a full hash (a branch or short hash could name other code tomorrow, and the
// mediator must run the same code as the provider), the repository is a public URL (cloneable by every party, with
// no credentials in it, as it travels in the offer), and the path stays inside the repository.

import { AccordValidationError } from "../model/errors";
import type { ModuleConfig } from "../model/types";

export type ModuleConfigRules = {
  /**
   * Also accept `file://` URLs and absolute paths as `repo`: local repositories, for development networks and tests.
   * Never for offers from others: a path names a file on the machine that runs the module.
   */
  allowFileRepos?: boolean;
};

const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function fail(field: string, rule: string): never {
  throw new AccordValidationError(field, rule, { subject: "module" });
}

/** True when `value` is a relative path of plain segments: not empty, no leading `/`, no `.`/`..`/empty segment. */
export function isPlainRelativePath(value: string): boolean {
  if (value === "" || value.startsWith("/") || value.includes("\0") || value.includes("\\")) return false;
  return value.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

function checkRepo(repo: unknown, rules: ModuleConfigRules): void {
  if (typeof repo !== "string" || repo === "") fail("module.repo", "must be a non-empty string");
  // Whitespace or control characters have no place in a URL, and would be one more way to smuggle an option.
  if ([...repo].some((c) => /\s/.test(c) || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    fail("module.repo", "must not contain whitespace or control characters");
  }
  if (rules.allowFileRepos && repo.startsWith("/")) return;
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    fail("module.repo", `must be an https://, http:// or git:// URL${rules.allowFileRepos ? " (or file://)" : ""}`);
  }
  if (url.protocol === "file:") {
    if (!rules.allowFileRepos) fail("module.repo", "must not be a file:// URL (local repositories are not allowed)");
    return;
  }
  if (!["https:", "http:", "git:"].includes(url.protocol)) {
    fail("module.repo", `must be an https://, http:// or git:// URL, not ${url.protocol}//`);
  }
  if (url.hostname === "") fail("module.repo", "must name a host");
  if (url.username !== "" || url.password !== "") fail("module.repo", "must not carry credentials");
}

/**
 * Throws AccordValidationError (subject "module", field `module.repo`, `module.hash` or `module.path`) when the module
 * config breaks a rule: `repo` an https://, http:// or git:// URL without credentials (file:// or an absolute path
 * only with `allowFileRepos`), `hash` a full commit id (40 or 64 lowercase hex digits), `path` a relative path
 * inside the repository (no leading `/`, no `..`).
 */
export function checkModuleConfig(module: ModuleConfig, rules: ModuleConfigRules = {}): void {
  checkRepo(module.repo, rules);
  if (typeof module.hash !== "string" || !FULL_COMMIT.test(module.hash)) {
    fail("module.hash", "must be a full commit id: 40 (or 64) lowercase hex digits");
  }
  if (typeof module.path !== "string" || !isPlainRelativePath(module.path)) {
    fail("module.path", "must be a relative path inside the repository (no leading /, no . or .. or empty segments)");
  }
}
