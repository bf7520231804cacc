// GraphQL over server-sent events (yoga's distinct-connections mode), read the way a client does: for the tests of
// both GraphQL servers' subscriptions.

import { expect } from "chai";

/** A GraphQL result as the tests read it. */
export interface SseResult<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** One server-sent event: a `next` carries a GraphQL result (`T` the shape of its data), `complete` none. */
export interface SseEvent<T> {
  event: string;
  data?: SseResult<T>;
}

/** A GraphQL-over-SSE subscription (yoga's distinct-connections mode). */
export async function sse<T = unknown>(url: string, query: string, variables?: Record<string, unknown>) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.headers.get("content-type")).to.match(/text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(timeoutMs = 5000): Promise<SseEvent<T>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n").filter((l) => !l.startsWith(":"));
          if (lines.length === 0) continue; // keep-alive
          const event =
            lines
              .find((l) => l.startsWith("event:"))
              ?.slice(6)
              .trim() ?? "message";
          const data = lines
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          return { event, data: data ? (JSON.parse(data) as SseResult<T>) : undefined };
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error("no SSE event in time");
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no SSE event in time")), remaining)),
        ]);
        if (chunk.done) throw new Error("SSE stream ended");
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close(): void {
      controller.abort();
    },
  };
}
