import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';

/** Debian's chromium package; CI (.ci/run) installs it with apt-get when it is missing. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The machine running the tests may have no network: without these, Chromium's own background
// services (component updates, sync, QUIC probes) keep opening connections that are refused.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Inline data and the page's own blobs (GraphiQL's Monaco workers) never leave the machine.
const LOCAL_PROTOCOLS = new Set(['data:', 'blob:', 'about:']);

/** True when loading the URL stays on this machine. */
export function isLocalUrl(url: string): boolean {
  const parsed = new URL(url);
  return LOCAL_PROTOCOLS.has(parsed.protocol) || LOOPBACK_HOSTS.has(parsed.hostname);
}

/** Launches headless Chromium, or fails saying how to install it (the test never skips). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The GraphiQL browser test needs Chromium at ${CHROMIUM_PATH}, which is missing. ` +
        'On Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y chromium` ' +
        '(.ci/run does this in CI), or set CHROMIUM_PATH to another Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

const EDITOR_LINES = {
  query: '.graphiql-query-editor .monaco-editor .view-lines',
  // Variables and headers share the tools pane; the tab that is not shown carries `hidden`.
  visibleTool: '.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor .view-lines',
  response: '.graphiql-response .monaco-editor .view-lines',
} as const;

/**
 * One GraphiQL tab in a fresh browser context (empty storage, so nothing persisted by an earlier
 * test leaks in), recording everything the page asks the network for and everything it complains about.
 */
export class GraphiQLPage {
  /** Every URL the page (or its workers) requested, in order. */
  readonly requests: string[] = [];
  /** Requests that would have left the machine; blocked so a missing network cannot hang the test. */
  readonly externalRequests: string[] = [];
  /** Local requests that failed or answered with an HTTP error. */
  readonly failedRequests: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, origin: string): Promise<GraphiQLPage> {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    // Pasting is how a query gets into Monaco intact: typing it would trigger auto-indent and
    // bracket auto-closing. 127.0.0.1 is a secure context, so the clipboard API is available.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await context.newPage();
    const graphiql = new GraphiQLPage(context, page);
    context.on('request', (request) => {
      graphiql.requests.push(request.url());
      if (!isLocalUrl(request.url())) graphiql.externalRequests.push(`${request.method()} ${request.url()}`);
    });
    await context.route((url) => !isLocalUrl(url.href), (route) => route.abort('blockedbyclient'));
    page.on('websocket', (socket) => {
      if (!isLocalUrl(socket.url())) graphiql.externalRequests.push(`WebSocket ${socket.url()}`);
    });
    context.on('requestfailed', (request) => {
      if (isLocalUrl(request.url())) graphiql.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`);
    });
    context.on('response', (response) => {
      if (response.status() >= 400) graphiql.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') graphiql.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => graphiql.pageErrors.push(error.message));
    return graphiql;
  }

  /** A normal navigation (Accept: text/html), waiting until the query editor has rendered. */
  async goto(url: string): Promise<Response | null> {
    const response = await this.page.goto(url);
    await this.page.locator(EDITOR_LINES.query).waitFor({ timeout: 60_000 });
    return response;
  }

  /** The query editor's visible text. */
  queryText(): Promise<string> {
    return this.editorText(EDITOR_LINES.query);
  }

  /** The text of the open tool tab (variables or headers). */
  visibleToolText(): Promise<string> {
    return this.editorText(EDITOR_LINES.visibleTool);
  }

  /** Replaces the query editor's content by select-all and paste, as a user would. */
  async replaceQuery(query: string): Promise<void> {
    await this.page.evaluate(async (text) => {
      // The browser's navigator (the test's tsconfig has no DOM lib).
      const { navigator } = globalThis as unknown as { navigator: { clipboard: { writeText(text: string): Promise<void> } } };
      await navigator.clipboard.writeText(text);
    }, query);
    // On a loaded machine the editor can take the first keys before it has focus (select-all then
    // misses a line); a user would simply select again, and so does this, a few times at most.
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.page.locator(EDITOR_LINES.query).click();
      await this.page.keyboard.press('ControlOrMeta+A');
      await this.page.keyboard.press('ControlOrMeta+V');
      if ((await this.queryText()) === query) return;
      await this.page.waitForTimeout(200);
    }
  }

  /** Opens the run button's menu (shown when the editor holds several operations), lists it, closes it. */
  async runMenuItems(): Promise<string[]> {
    await this.page.locator('.graphiql-execute-button').click();
    const items = this.page.getByRole('menuitem');
    await items.first().waitFor({ timeout: 10_000 });
    const names = await items.allInnerTexts();
    await this.page.keyboard.press('Escape');
    await items.first().waitFor({ state: 'detached', timeout: 10_000 });
    return names.map((name) => name.trim());
  }

  /**
   * Clicks the run button (choosing `operationName` from its menu when the editor holds several
   * operations) and returns the HTTP response to the operation together with the result pane's text.
   */
  async run(operationName: string, options: { fromMenu?: boolean } = {}) {
    // A one-operation tab is named after it once GraphiQL has parsed the editor's text: running
    // earlier could send the previous text's operation name.
    if (!options.fromMenu) {
      await this.page
        .locator('.graphiql-tab-button', { hasText: new RegExp(`^\\s*${operationName}\\s*$`) })
        .waitFor({ timeout: 10_000 });
    }
    const response = this.page.waitForResponse(
      (candidate) => {
        const body = candidate.request().postData() ?? '';
        return candidate.request().method() === 'POST' && body.includes(operationName) && !body.includes('__schema');
      },
      { timeout: 30_000 },
    );
    await this.page.locator('.graphiql-execute-button').click();
    if (options.fromMenu) await this.page.getByRole('menuitem', { name: operationName, exact: true }).click();
    const httpResponse = await response;
    const pane = this.page.locator(EDITOR_LINES.response).filter({ hasText: /"(data|errors)"/ });
    await pane.waitFor({ timeout: 30_000 });
    return { response: httpResponse, resultText: await this.editorText(EDITOR_LINES.response) };
  }

  /** Everything recorded, for failure messages. */
  diagnostics(): string {
    return JSON.stringify(
      {
        externalRequests: this.externalRequests,
        failedRequests: this.failedRequests,
        consoleErrors: this.consoleErrors,
        pageErrors: this.pageErrors,
      },
      null,
      2,
    );
  }

  close(): Promise<void> {
    return this.context.close();
  }

  // Monaco renders only the lines in view, spaces sometimes as U+00A0.
  private async editorText(selector: string): Promise<string> {
    // Monaco positions each line by its `top` and reuses line elements as the text changes, so
    // their order in the page is not always the lines' order (a closing brace once came first).
    const lines = await this.page.locator(`${selector} .view-line`).evaluateAll((nodes) =>
      nodes.map((node) => {
        const line = node as unknown as { style: { top: string }; innerText: string };
        return { top: Number.parseFloat(line.style.top), text: line.innerText };
      }),
    );
    return lines
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text)
      .join('\n')
      .replace(/\u00a0/g, ' ');
  }
}

/** Collapses whitespace, so text the result pane soft-wrapped over several lines can be matched. */
export function flattenWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ');
}
