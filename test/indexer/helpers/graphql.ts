// A GraphQL query against a test's API server: its data, with the test failing on any error in the answer.
import { expect } from "chai";

export async function graphqlData(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).to.equal(undefined);
  return body.data!;
}
