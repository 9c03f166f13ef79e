// The functions given to page.evaluate() run in the browser, hence the DOM types.
/// <reference lib="dom" />
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testRedis } from '../../../test/utils/redis-server.js';
import { createChatApp } from './create-chat-app.js';

const outputDir = fileURLToPath(new URL('../../../.test-output/', import.meta.url));
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium, or the binary `CHROMIUM_PATH` names; one line on how to get it when there is none. */
function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`No Chromium at ${path}: install it (apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.`);
  }
  return path;
}

describe('the example chat page in headless Chromium, two users on two instances over Redis', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let apps: NestExpressApplication[];
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = chromiumPath();
    redis = await testRedis();
    process.env.JWT_SECRET = 'browser-test-secret';
    process.env.WS_REDIS_URL = redis.url;
    apps = [await createChatApp({ logger: false }), await createChatApp({ logger: false })];
    for (const app of apps) await app.listen(0, '127.0.0.1');
    browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const app of apps ?? []) await app.close();
    delete process.env.WS_REDIS_URL;
    await redis?.stop();
  });

  const urlOf = (app: NestExpressApplication) => `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  async function open(app: NestExpressApplication, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(10_000);
    await page.goto(urlOf(app));
    return page;
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.getByTestId('username').fill(username);
    await page.getByTestId('password').fill(password);
    await page.getByTestId('login').click();
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('send').click();
  }

  it('signs in, joins a room, shows who is online, chats, notifies and shows refusals', async () => {
    const [alice, bob] = [await open(apps[0]), await open(apps[1])];

    await signIn(alice, 'alice', 'wrong password');
    await alice.getByTestId('error').getByText('Invalid username or password').waitFor();

    await signIn(alice, 'alice', 'password');
    await signIn(bob, 'bob', 'password');
    await alice.getByTestId('status').getByText('connected').waitFor();
    await bob.getByTestId('status').getByText('connected').waitFor();

    await alice.getByTestId('room-general').click();
    await bob.getByTestId('room-general').click();
    await alice.getByTestId('online').getByText('Bob', { exact: true }).waitFor();
    await bob.getByTestId('online').getByText('Alice', { exact: true }).waitFor();

    await say(alice, 'Hello Bob, I am on the other instance');
    await bob.getByTestId('messages').getByText('Hello Bob, I am on the other instance').waitFor();
    await say(bob, 'Hi Alice!');
    await alice.getByTestId('messages').getByText('Hi Alice!').waitFor();

    await alice.getByTestId('nudge-user').fill('bob');
    await alice.getByTestId('nudge').click();
    await bob.getByTestId('notifications').getByText('Alice says hi').waitFor();
    expect(await bob.getByTestId('notifications').locator('li').allTextContents()).toEqual(['Alice says hi']);

    await alice.getByTestId('announce-text').fill('Everyone, listen');
    await alice.getByTestId('announce').click();
    await alice.getByTestId('error').getByText('FORBIDDEN: Requires the role admin').waitFor();

    await alice.getByTestId('room-staff').click();
    await alice.getByTestId('error').getByText('FORBIDDEN: Not allowed to join staff').waitFor();
    // the refused join did not cost alice her room
    await say(alice, 'Still here');
    await bob.getByTestId('messages').getByText('Still here').waitFor();
    expect(await bob.getByTestId('online').locator('li').allTextContents()).toEqual(['Alice', 'Bob']); // names, as on messages

    await bob
      .getByTestId('price')
      .getByText(/NRT \d+\.\d\d/)
      .waitFor(); // the live feed, pushed every 2 s

    await mkdir(outputDir, { recursive: true });
    await alice.screenshot({ path: `${outputDir}chat-example-alice.png` });
    await bob.screenshot({ path: `${outputDir}chat-example-bob.png` });
    expect(await bob.getByTestId('messages').locator('li').count()).toBe(3);
  }, 60_000);

  /** Where the message box is and whether the page scrolls sideways, as the user sees it. */
  const layoutOf = (page: Page) =>
    page.evaluate(() => {
      const input = document.querySelector('[data-testid=message-input]')!.getBoundingClientRect();
      const list = document.querySelector('[data-testid=messages]')!;
      return {
        pageWidth: document.documentElement.scrollWidth,
        viewport: { width: window.innerWidth, height: window.innerHeight },
        input: { width: input.width, top: input.top, bottom: input.bottom },
        list: { scrollHeight: list.scrollHeight, clientHeight: list.clientHeight, scrollTop: list.scrollTop },
      };
    });

  it('fits a phone: one column, no sideways scrolling, the message box wide enough and in view', async () => {
    const phone = await open(apps[0], { width: 390, height: 844 });
    await signIn(phone, 'carol', 'password');
    await phone.getByTestId('status').getByText('connected').waitFor();
    await phone.getByTestId('room-random').click();
    await phone.locator('[data-testid=message-input]:enabled').waitFor();

    const layout = await layoutOf(phone);
    await mkdir(outputDir, { recursive: true });
    await phone.screenshot({ path: `${outputDir}chat-example-phone.png` });
    expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewport.width);
    expect(layout.input.width).toBeGreaterThanOrEqual(200);
    expect(layout.input.top).toBeGreaterThanOrEqual(0);
    expect(layout.input.bottom).toBeLessThanOrEqual(layout.viewport.height);
  }, 60_000);

  it('keeps the message box in view after 50 messages, the list scrolling inside its card', async () => {
    const laptop = await open(apps[1]);
    await signIn(laptop, 'carol', 'password');
    await laptop.getByTestId('status').getByText('connected').waitFor();
    await laptop.getByTestId('room-random').click();
    await laptop.locator('[data-testid=message-input]:enabled').waitFor();

    for (let n = 1; n <= 50; n++) await say(laptop, `message ${n}`);
    await laptop.waitForFunction(() => document.querySelectorAll('[data-testid=messages] li').length === 50);

    const layout = await layoutOf(laptop);
    await laptop.screenshot({ path: `${outputDir}chat-example-50-messages.png` });
    expect(layout.input.bottom).toBeLessThanOrEqual(layout.viewport.height);
    expect(layout.list.scrollHeight).toBeGreaterThan(layout.list.clientHeight); // it scrolls...
    expect(layout.list.scrollTop + layout.list.clientHeight).toBeGreaterThanOrEqual(layout.list.scrollHeight - 2); // ...to the newest
    expect(await laptop.getByTestId('messages').locator('li').last().textContent()).toContain('message 50');
  }, 60_000);
});
