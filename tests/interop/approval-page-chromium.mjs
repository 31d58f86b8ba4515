// Opens the gateway's approval page (URL-mode elicitation) in Debian's
// headless Chromium through playwright-core, as a person's browser would,
// and checks what it shows and that it follows the approval without a
// reload. Driven by test_approvalpage_chromium.cpp:
//
//   node approval-page-chromium.mjs --url LINK --code NN --outcome approved|denied
//        --expect TEXT [--expect TEXT ...] [--chromium /usr/bin/chromium]
//
// Prints "READY" once the page shows the waiting request (the test then has
// the companion decide), and "PASS" when the page shows --outcome; any
// failure prints "FAIL: why" and exits 1. Console errors, page errors, CSP
// violations, dialogs (an injected alert()) and requests to other origins
// all fail it.
import { chromium } from 'playwright-core';

function parseArguments(argv) {
    const options = { expect: [], chromium: '/usr/bin/chromium' };
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i].replace(/^--/, '');
        const value = argv[i + 1];
        if (value === undefined) {
            throw new Error(`missing value for ${argv[i]}`);
        }
        if (name === 'expect') {
            options.expect.push(value);
        } else {
            options[name] = value;
        }
    }
    for (const required of ['url', 'code', 'outcome']) {
        if (!options[required]) {
            throw new Error(`--${required} is required`);
        }
    }
    return options;
}

function check(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

async function run(options) {
    const origin = new URL(options.url).origin;
    const problems = [];
    // Chromium's sandbox needs user namespaces, which it refuses to use as
    // root: CI runs as root, so only then without it.
    const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
    const browser = await chromium.launch({ executablePath: options.chromium, headless: true, args });
    try {
        // The gateway's test certificate is self-signed for another name.
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        page.on('console', (message) => {
            if (message.type() === 'error' || message.type() === 'warning') {
                problems.push(`console ${message.type()}: ${message.text()}`);
            }
        });
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        page.on('dialog', async (dialog) => {
            problems.push(`dialog opened: ${dialog.message()}`);
            await dialog.dismiss();
        });
        page.on('request', (request) => {
            const url = new URL(request.url());
            if (url.origin !== origin) {
                problems.push(`request to another origin: ${request.url()}`);
            }
        });
        let mainFrameNavigations = 0;
        page.on('framenavigated', (frame) => {
            if (frame === page.mainFrame()) {
                mainFrameNavigations += 1;
            }
        });
        // CSP violations as the page sees them (the console reports them
        // too); an init script runs through DevTools, outside the page's CSP.
        await page.addInitScript(() => {
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', (event) => {
                window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
            });
        });

        const response = await page.goto(options.url, { waitUntil: 'load' });
        check(response && response.status() === 200, `page answered ${response && response.status()}`);
        const headers = response.headers();
        check((headers['content-security-policy'] || '').includes("default-src 'none'"),
            `no strict CSP: ${headers['content-security-policy']}`);
        check(headers['referrer-policy'] === 'no-referrer', 'no Referrer-Policy: no-referrer');

        check((await page.textContent('#binding-code')).trim() === options.code,
            `binding code shown: ${await page.textContent('#binding-code')}`);
        const text = await page.innerText('body');
        for (const expected of options.expect) {
            check(text.includes(expected), `the page does not show ${JSON.stringify(expected)}`);
        }
        check(text.includes('Approve in Countersign on your desktop'),
            'the page does not send the person to the companion');
        const controls = await page.locator(
            'form, button, input, select, textarea, a[href], [onclick], [contenteditable]').count();
        check(controls === 0, `the page has ${controls} controls; it must have none`);
        check(await page.getAttribute('#state', 'data-state') === 'waiting',
            `state is ${await page.getAttribute('#state', 'data-state')}, not waiting`);
        // The stylesheet applied (allowed by the CSP): the code is large.
        const fontSize = await page.$eval('#binding-code',
            (element) => parseFloat(getComputedStyle(element).fontSize));
        check(fontSize >= 32, `stylesheet not applied (binding code font ${fontSize}px)`);

        // A reload would drop this marker.
        await page.evaluate(() => { window.__sameDocument = true; });
        const navigationsBefore = mainFrameNavigations;
        process.stdout.write('READY\n');

        await page.waitForSelector(`#state[data-state="${options.outcome}"]`, { timeout: 60000 });
        check(await page.evaluate(() => window.__sameDocument === true),
            'the page was reloaded to show the new state');
        check(mainFrameNavigations === navigationsBefore, 'the page navigated');
        const stateText = await page.textContent('#state');
        check(stateText.toLowerCase().includes(options.outcome), `state line says ${stateText}`);

        const violations = await page.evaluate(() => window.__cspViolations);
        problems.push(...violations.map((violation) => `CSP violation: ${violation}`));
        check(problems.length === 0, problems.join('\n'));
    } finally {
        await browser.close();
    }
}

try {
    await run(parseArguments(process.argv.slice(2)));
    process.stdout.write('PASS\n');
} catch (error) {
    process.stdout.write(`FAIL: ${error.message}\n`);
    process.exitCode = 1;
}
