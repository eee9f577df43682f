// The page side of the suite's view of the workbench. The suite runs inside the extension host,
// which has no access to what the browser draws; it writes a request file into the folder named
// by DIFFUSION_INFILL_PAGE_BRIDGE and runCodeServer.mjs answers it with playwright: what an
// element reads, a key press, a screenshot into .test-artifacts/vscode/.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BRIDGE_VARIABLE = 'DIFFUSION_INFILL_PAGE_BRIDGE';

/** Answers every request waiting in `dir`, in the order they were made. */
export async function answerPageRequests(page, dir, artifacts) {
  const requests = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.request.json'))
    .sort();
  for (const file of requests) {
    const request = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    fs.rmSync(path.join(dir, file));
    let reply;
    try {
      reply = { ok: true, value: await answer(page, request, artifacts) };
    } catch (e) {
      reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    const out = path.join(dir, file.replace('.request.json', '.reply.json'));
    fs.writeFileSync(out + '.tmp', JSON.stringify(reply));
    fs.renameSync(out + '.tmp', out);
  }
}

async function answer(page, request, artifacts) {
  switch (request.action) {
    case 'read':
      // innerText and aria-label of every element the selector finds, in every frame (webviews are frames).
      return (
        await Promise.all(
          page.frames().map((frame) =>
            frame
              .$$eval(request.selector, (els) =>
                els.map((e) => {
                  const box = e.getBoundingClientRect();
                  // An image's own size beside the drawn one tells how much it was shrunk.
                  return {
                    text: e.innerText ?? '',
                    label: e.getAttribute('aria-label') ?? '',
                    width: box.width,
                    height: box.height,
                    naturalWidth: e.naturalWidth,
                  };
                }),
              )
              .catch(() => []),
          ),
        )
      ).flat();
    case 'wait':
      await page.waitForSelector(request.selector, { timeout: request.timeoutMs ?? 10_000, state: request.state ?? 'visible' });
      return true;
    case 'press':
      for (const key of request.keys) await page.keyboard.press(key);
      return true;
    case 'type':
      await page.keyboard.type(request.text);
      return true;
    case 'click':
      await page
        .locator(request.selector)
        .first()
        .click({ timeout: request.timeoutMs ?? 10_000 });
      return true;
    case 'shot': {
      const file = path.join(artifacts, `${request.name}.png`);
      if (request.selector) await page.locator(request.selector).first().screenshot({ path: file, timeout: 10_000 });
      else await page.screenshot({ path: file });
      return path.relative(path.resolve(artifacts, '../..'), file);
    }
    default:
      throw new Error(`unknown page request ${JSON.stringify(request.action)}`);
  }
}
