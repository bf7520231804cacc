// JSON paths for error messages: `pricing.payment_collateral`, `trusted_parties.mediator[1]`,
// `module_pricing["a b"]`.

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function memberPath(base: string, key: string): string {
  if (identifier.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}
