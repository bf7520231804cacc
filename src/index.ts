export * from "./model";
export * from "./clients";
export * from "./deployments";
