// Provider onboarding (`accord/onboarding`): the reference document's machine, resource, deployment and execution
// types with their validation, the content-addressed machine profile and its on-chain fields, the 10–90% onboarding
// rule and free-resource arithmetic, and the local machine probe.

export * from "./types";
export * from "./validate";
export * from "./rules";
export * from "./profile";
export * from "./probe";
