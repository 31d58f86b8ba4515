// The approval page's only script (gateway/http/approvalpage.h): keeps the
// state line current by polling the page's own state endpoint. It never
// writes HTML (textContent only) and sends nothing but GETs of that state:
// there is no way to approve from this page.
'use strict';

(function () {
    const stateLine = document.getElementById('state');
    if (!stateLine) {
        return;
    }
    const finalStates = new Set(['approved', 'denied', 'expired', 'cancelled']);
    const pollMs = Number(document.body.dataset.pollMs) || 1500;
    // The same id and token as the page: /approve/{id}/state?t=...
    const stateUrl = window.location.pathname.replace(/\/+$/, '') + '/state' +
        window.location.search;

    function show(state, label) {
        stateLine.dataset.state = state;
        stateLine.textContent = label;
        document.body.dataset.state = state;
    }

    async function poll() {
        try {
            const response = await fetch(stateUrl, {
                cache: 'no-store',
                credentials: 'omit',
                redirect: 'error',
                referrerPolicy: 'no-referrer',
                headers: { Accept: 'application/json' },
            });
            if (response.status === 404) {
                // The link ran out with the approval.
                show('expired', 'Expired: this link is no longer valid');
                return;
            }
            if (response.ok) {
                const body = await response.json();
                if (typeof body.state === 'string' && typeof body.label === 'string') {
                    show(body.state, body.label);
                    if (finalStates.has(body.state)) {
                        return;
                    }
                }
            }
        } catch (error) {
            // The gateway is restarting or the network dropped: try again.
        }
        window.setTimeout(poll, pollMs);
    }

    if (!finalStates.has(stateLine.dataset.state)) {
        window.setTimeout(poll, pollMs);
    }
})();
