// End-to-end check of the `lesionscan serve` page in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; no browser is downloaded).
//
// tests/browser.rs starts the server and runs this with:
//   LESIONSCAN_URL          the page, e.g. http://127.0.0.1:41234/
//   LESIONSCAN_PICTURE      the photo to drop on the page
//   LESIONSCAN_SCREENSHOTS  folder for the screenshots
//   LESIONSCAN_CHROMIUM     the browser executable
//   EXPECTED_TOP            the class code `lesionscan classify --json` ranks first
//   EXPECTED_PROBABILITY    its probability
//   EXPECTED_UNUSABLE       "1" when its quality report says the picture is not usable
// and NODE_PATH pointing at .tools/browser/node_modules. It exits non-zero with a reason
// when the page does not behave.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const url = env("LESIONSCAN_URL");
const picture = env("LESIONSCAN_PICTURE");
const shots = env("LESIONSCAN_SCREENSHOTS");
const expectedTop = env("EXPECTED_TOP");
const expectedProbability = Number(env("EXPECTED_PROBABILITY"));
const expectedUnusable = env("EXPECTED_UNUSABLE") === "1";
const TIMEOUT = 90_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Drops a file on the page's drop zone the way a desktop drag-and-drop does.
async function dropFile(page, name, type, bytes) {
  const transfer = await page.evaluateHandle(
    ({ name, type, base64 }) => {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type }));
      return dt;
    },
    { name, type, base64: Buffer.from(bytes).toString("base64") },
  );
  await page.locator("#drop").dispatchEvent("drop", { dataTransfer: transfer });
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env("LESIONSCAN_CHROMIUM"),
    headless: true,
    // Running as root in CI needs --no-sandbox (playwright adds it); the rest keeps
    // Chromium from calling home on a machine without a network.
    chromiumSandbox: false,
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    // A phone-sized window first.
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      // The refused text file below is expected to log its 415.
      if (m.type() === "error" && !/status of 415/.test(m.text())) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    const origin = new URL(url).origin;
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith("data:")) problems.push(`request elsewhere: ${u}`);
    });

    await page.goto(url);
    // The model's description arrives from /api/model.
    await page.locator("#model-info dd").first().filter({ hasNotText: "loading" }).waitFor();
    const modelText = await page.locator("#model-info").innerText();
    check(/ham10000/i.test(modelText), `model id shown: ${modelText}`);
    check(/sklesion|Elio Pereira/i.test(modelText), `provenance shown: ${modelText}`);
    check(
      /not a medical device/i.test(await page.locator(".banner .disclaimer").innerText()),
      "the not-a-diagnosis line is on the page",
    );

    // Every control is found by its label, as a screen reader announces it.
    for (const label of ["Picture of the lesion", "Age in years", "Sex", "Body site"]) {
      check((await page.getByLabel(label).count()) === 1, `a control labelled "${label}"`);
    }
    // The keyboard walks the form in reading order.
    await page.locator("#image").focus();
    const order = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement.id));
    }
    check(order.join(",") === "age,sex,site,predict", `tab order: ${order}`);

    // A text file is refused with a message in the alert region.
    await dropFile(page, "notes.txt", "text/plain", Buffer.from("not a picture"));
    await page.locator("#predict").focus();
    await page.keyboard.press("Enter");
    await page.locator("#error").waitFor({ state: "visible" });
    const refusal = await page.locator("#error").innerText();
    check(/not a picture/i.test(refusal), `the refusal says why: ${refusal}`);

    // Now the photo, dropped, with the patient's fields, sent with the keyboard.
    await dropFile(page, path.basename(picture), "image/jpeg", fs.readFileSync(picture));
    check(
      (await page.locator("#chosen").innerText()).includes(path.basename(picture)),
      "the dropped file is named",
    );
    check(await page.locator("#error").isHidden(), "the old error is cleared");
    await page.locator("#age").fill("45");
    await page.locator("#sex").selectOption("female");
    await page.locator("#site").selectOption("back");
    await page.locator("#predict").focus();
    await page.keyboard.press("Enter");

    const first = page.locator("#classes li").first();
    await first.waitFor({ state: "visible" });
    check(await page.locator("#error").isHidden(), "no error after a good picture");
    const code = (await first.locator(".code").innerText()).trim();
    check(code === expectedTop, `top class on the page ${code}, classify --json says ${expectedTop}`);
    const shownPct = await first.locator(".pct").innerText();
    check(
      shownPct.startsWith((expectedProbability * 100).toFixed(1)),
      `top probability ${shownPct} vs ${expectedProbability}`,
    );
    // The bar is drawn, as long as its share of the row says.
    const bar = await first.locator(".bar").boundingBox();
    const fill = await first.locator(".fill").boundingBox();
    check(bar && fill && fill.width > 0, "the top class has a visible bar");
    const share = fill.width / bar.width;
    check(Math.abs(share - expectedProbability) < 0.02, `bar share ${share} vs ${expectedProbability}`);
    check((await page.locator("#classes li").count()) === 7, "all 7 classes listed");

    // The preview is the model's input, loaded from the server's data URL.
    const preview = await page.locator("#preview").evaluate((img) => ({
      w: img.naturalWidth,
      h: img.naturalHeight,
      alt: img.alt,
      src: img.src.slice(0, 22),
    }));
    check(preview.src === "data:image/png;base64,", `preview is a PNG data URL: ${preview.src}`);
    check(preview.w > 0 && preview.w === preview.h, `preview size ${preview.w}x${preview.h}`);
    check(/as the model sees it/.test(preview.alt), `preview alt text: ${preview.alt}`);

    check(/Malignant classes together: \d/.test(await page.locator("#malignant").innerText()), "malignant line");
    check((await page.locator("#quality li").count()) > 0, "quality in words");
    check(
      (await page.locator("#quality-warning").isVisible()) === expectedUnusable,
      `the unusable-picture warning is shown exactly when the report says so (${expectedUnusable})`,
    );
    check(/not a medical device/i.test(await page.locator("#result-disclaimer").innerText()), "result disclaimer");
    const announced = await page.locator("#status").innerText();
    check(announced.includes("Most probable"), `the live region announces the result: ${announced}`);
    check(
      await page.evaluate(() => document.activeElement && document.activeElement.id === "result"),
      "focus moves to the result",
    );
    // Nothing sticks out sideways on a phone.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    check(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    await page.screenshot({ path: path.join(shots, "serve-phone.png"), fullPage: true });

    // And on a desktop window.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(shots, "serve-desktop.png"), fullPage: true });

    check(problems.length === 0, problems.join("; "));
    console.log(JSON.stringify({ ok: true, top: code, shown: shownPct, bar_share: share, preview }));
    await context.close();
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`browser check failed: ${e.message}`);
  process.exit(1);
});
