/**
 * Opens a page in headless Chromium (Debian's `chromium`) through the
 * DevTools protocol, as a user's browser would: how long it took to load,
 * every console error and uncaught exception, a value computed in the page,
 * and a screenshot.
 */

/** Where Chromium is, or null when it is not installed (the tests that need it say they skipped). */
export function chromiumPath(): string | null {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      Deno.statSync(path);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** What opening a page found. */
export interface PageVisit<T> {
  /** From navigating to the load event, in ms. */
  loadMs: number;
  /** Console errors, uncaught exceptions and failed loads, as Chromium words them. */
  errors: string[];
  /** What `probe` evaluated to in the page. */
  probed: T;
  /** The page as a PNG. */
  screenshot: Uint8Array;
}

/**
 * Opens `url` in a fresh headless Chromium (`binary`), waits for its load
 * event, evaluates `probe` (an expression returning JSON-able data) and takes
 * a screenshot of `width` x `height`; the browser is gone when it resolves.
 */
export async function visit<T>(
  binary: string,
  url: string,
  probe: string,
  width = 1100,
  height = 2400,
): Promise<PageVisit<T>> {
  const profile = await Deno.makeTempDir();
  const child = new Deno.Command(binary, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let seen = "", port = 0;
    while (port === 0) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`chromium ended before it listened: ${seen}`);
      seen += value;
      port = Number(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(seen)?.[1] ?? 0);
    }
    // Drain the rest, so a full pipe never stalls the browser.
    (async () => {
      while (!(await lines.read()).done) { /* drain */ }
    })().catch(() => {});
    const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = pages.find((p: { type: string }) => p.type === "page");
    const cdp = await Cdp.open(page.webSocketDebuggerUrl);
    try {
      const errors: string[] = [];
      cdp.on("Runtime.consoleAPICalled", (p) => {
        if (p.type === "error") errors.push(`console.error: ${JSON.stringify(p.args)}`);
      });
      cdp.on(
        "Runtime.exceptionThrown",
        (p) => errors.push(`exception: ${p.exceptionDetails.text}`),
      );
      cdp.on("Log.entryAdded", (p) => {
        if (p.entry.level === "error") errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`);
      });
      await cdp.send("Runtime.enable");
      await cdp.send("Log.enable");
      await cdp.send("Page.enable");
      const loaded = cdp.next("Page.loadEventFired");
      const started = performance.now();
      await cdp.send("Page.navigate", { url });
      await loaded;
      const loadMs = performance.now() - started;
      const evaluated = await cdp.send("Runtime.evaluate", {
        expression: probe,
        returnByValue: true,
      });
      const shot = await cdp.send("Page.captureScreenshot", { format: "png" });
      const screenshot = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
      return { loadMs, errors, probed: evaluated.result.value as T, screenshot };
    } finally {
      cdp.close();
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await lines.cancel().catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

// deno-lint-ignore no-explicit-any
type Params = any;

// A DevTools protocol connection: commands answered by id, events to listeners.
class Cdp {
  #id = 0;
  readonly #waiting = new Map<number, (r: { result?: Params; error?: Params }) => void>();
  readonly #listeners = new Map<string, ((p: Params) => void)[]>();

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id !== undefined) this.#waiting.get(m.id)?.(m);
      else for (const l of this.#listeners.get(m.method) ?? []) l(m.params);
    };
  }

  static open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot reach chromium at ${url}`));
    });
  }

  on(method: string, listener: (p: Params) => void): void {
    this.#listeners.set(method, [...(this.#listeners.get(method) ?? []), listener]);
  }

  next(method: string): Promise<Params> {
    return new Promise((resolve) => this.on(method, resolve));
  }

  send(method: string, params: Params = {}): Promise<Params> {
    const id = ++this.#id;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (m) => {
        this.#waiting.delete(id);
        if (m.error !== undefined) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
