// limiter.mjs mimics Cloudflare's global API rate limit for tests: at most
// `limit` API requests per account in any `windowMs`, and once an account
// goes over, every API request of that account is refused with HTTP 429 for
// `blockMs` (Cloudflare: 1,200 per 5 minutes per user, then a 5-minute
// block). Tests set a short window through POST /__harness/limit.
//
// Requests to deployed Workers (/__workers/...) never pass through it, as
// Worker traffic is not subject to the API limit.

const limits = new Map(); // account -> {limit, windowMs, blockMs, times: [], blockedUntil}

// setLimit arms (or, with limit 0, removes) the limiter of an account.
export function setLimit(body) {
  const account = typeof body.account === "string" ? body.account : "";
  if (!account) return "want {account: A, limit: N>=0, window_ms: W>0, block_ms: B>=0}";
  if (body.limit === 0) {
    limits.delete(account);
    return null;
  }
  const { limit, window_ms: windowMs, block_ms: blockMs = 0 } = body;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowMs) || windowMs < 1 || !Number.isInteger(blockMs) || blockMs < 0) {
    return "want {account: A, limit: N>=0, window_ms: W>0, block_ms: B>=0}";
  }
  limits.set(account, { limit, windowMs, blockMs, times: [], blockedUntil: 0, refused: 0 });
  return null;
}

// limitStatus returns the limiter's counters for an account.
export function limitStatus(account) {
  const l = limits.get(account);
  if (!l) return null;
  return { limit: l.limit, window_ms: l.windowMs, block_ms: l.blockMs, refused: l.refused, blocked: Date.now() < l.blockedUntil };
}

// checkLimit counts an API request of the account on pathname and returns
// null to let it through, or the 429 answer {status, headers, body}.
export function checkLimit(pathname) {
  const m = pathname.match(/^\/client\/v4\/accounts\/([^/]+)/);
  if (!m) return null;
  const l = limits.get(m[1]);
  if (!l) return null;
  const now = Date.now();
  if (now >= l.blockedUntil) {
    while (l.times.length > 0 && l.times[0] <= now - l.windowMs) l.times.shift();
    if (l.times.length < l.limit) {
      l.times.push(now);
      return null;
    }
    l.blockedUntil = now + l.blockMs;
    l.times = [];
  }
  l.refused++;
  const retryAfter = Math.max(1, Math.ceil((Math.max(l.blockedUntil, now + 1) - now) / 1000));
  return {
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: {
      success: false,
      errors: [{ code: 971, message: "Please wait and consider throttling your request speed" }],
      messages: [],
      result: null,
    },
  };
}
