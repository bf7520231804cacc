export * from "./format";
export * from "./deploy";
