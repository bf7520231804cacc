// New-head notifications: `eth_subscribe newHeads` over a websocket when a ws URL is given. The indexer only
// uses them as a wake-up (it still reads blocks over HTTP), so a lost connection just means polling until the
// reconnect succeeds.

import { EventEmitter } from "node:events";
import type WebSocketType from "ws";

export interface HeadWatcherOptions {
  /** Reconnect delay after a failure (doubles up to 30 s). Default 500 ms. */
  reconnectMs?: number;
  onError?: (error: Error) => void;
}

/** Emits "head" (block number) for every newHeads notification, "open" and "close". */
/** What the node sends on a newHeads subscription: the eth_subscribe answer, then notifications. */
type HeadsMessage = {
  id?: number;
  result?: unknown;
  error?: { message?: string };
  method?: string;
  params?: { result?: { number?: string } };
};

/** A message's text: ws hands over a Buffer (its default binaryType), typed as any of its three forms. */
function rawText(data: WebSocketType.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString();
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.from(data).toString();
}

export class HeadWatcher extends EventEmitter {
  private socket: WebSocketType | undefined;
  private stopped = false;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  connected = false;

  constructor(
    readonly url: string,
    private readonly options: HeadWatcherOptions = {},
  ) {
    super();
    this.delay = options.reconnectMs ?? 500;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: ws loads only when following heads over a websocket
    const WebSocket = require("ws") as typeof WebSocketType;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.on("open", () => {
      this.delay = this.options.reconnectMs ?? 500;
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    });
    socket.on("message", (data: WebSocketType.RawData) => {
      let message: HeadsMessage;
      try {
        message = JSON.parse(rawText(data)) as HeadsMessage;
      } catch {
        return;
      }
      if (message.id === 1) {
        if (message.error) {
          this.options.onError?.(new Error(`eth_subscribe newHeads: ${message.error.message ?? "failed"}`));
          socket.close();
          return;
        }
        this.connected = true;
        this.emit("open");
        return;
      }
      if (message.method === "eth_subscription") {
        const n = message.params?.result?.number;
        this.emit("head", n === undefined ? undefined : Number(n));
      }
    });
    socket.on("error", (error: Error) => this.options.onError?.(error));
    socket.on("close", () => {
      const was = this.connected;
      this.connected = false;
      if (was) this.emit("close");
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.timer.unref?.();
      this.delay = Math.min(this.delay * 2, 30_000);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.removeAllListeners("close");
    this.socket?.terminate();
    this.socket = undefined;
    this.connected = false;
  }
}
