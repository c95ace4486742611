/* The service worker of 有解: field work without a signal (see cases/offline.py).
 *
 * Served from /sw.js by common/service_worker.py, which puts `self.YOUJIE` (the files to keep
 * at install and the URLs of the vendored Workbox modules) on the line above.
 *
 * - The app's own files (CSS, scripts, fonts) are kept at install (Workbox precaching).
 * - A page is kept for offline reading only when the server marked it with the
 *   X-Offline-Cache header, which names its user: it goes into that user's cache
 *   ("youjie-user-<id>"). Pages without it, every POST (a revealed phone number is a POST
 *   answer) and every other user's pages are never kept.
 * - Without a network, a kept page is answered from the user's cache; a page never kept
 *   falls back to the queue page (/cases/offline/).
 * - When a page names another user than the one the kept pages belong to, the previous
 *   user's caches are deleted before anything is kept: a new person on the phone.
 * - Every page the server answers says how long the user's session has left (X-Session:
 *   "<user>; ends-in=<seconds>", accounts/session_limits.py). Once that time has passed, on
 *   this phone's own clock, the kept pages are deleted, even offline and with no page open:
 *   the session ended without a logout (the idle or the 12-hour limit). The queue page stays,
 *   so what waits to be sent is shown with the warning to log in again.
 */
/* global workbox */
importScripts(self.YOUJIE.workboxSw);
workbox.setConfig({ debug: false, modulePathCb: (name) => self.YOUJIE.modules[name] });

const HEADER = "X-Offline-Cache";
const USER_CACHE = "youjie-user-";
const META_CACHE = "youjie-meta";
const WHO = "/__youjie/user";
const ENDS = "/__youjie/session-ends"; // when the kept user's session ends, ms on this phone
const SESSION_HEADER = "X-Session";
const QUEUE_PAGE = "/cases/offline/";
// On a signal too weak to answer, a kept page is shown after this long.
const NETWORK_TIMEOUT_MS = 8000;

workbox.core.setCacheNameDetails({ prefix: "youjie" });
workbox.core.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(self.YOUJIE.precache);

// The rest of the app's files (icons, fonts): quick from the cache, refreshed behind.
workbox.routing.registerRoute(
  ({ url, request }) =>
    url.origin === self.location.origin &&
    url.pathname.startsWith("/static/") &&
    request.method === "GET",
  new workbox.strategies.StaleWhileRevalidate({ cacheName: "youjie-static" })
);

// (caches.match with a cacheName reads without creating: after a logout nothing comes back.)
async function keptUser() {
  const answer = await caches.match(WHO, { cacheName: META_CACHE });
  return answer ? answer.text() : null;
}

// Keeping, a new user and forgetting happen one at a time, in order: an answer that arrives
// after a logout (or after another person logged in) finds another user and is dropped.
let queue = Promise.resolve();
function oneAtATime(work) {
  queue = queue.then(work, work);
  return queue;
}

async function forgetPersonal() {
  for (const name of await caches.keys()) {
    if (name.startsWith(USER_CACHE) || name === META_CACHE) {
      await caches.delete(name);
    }
  }
}

// The page says who is logged in (its <meta name="youjie-user">); only that user's
// answers are kept. Another user than before: the previous user's pages go first.
async function becomeUser(user) {
  if ((await keptUser()) !== user) {
    await forgetPersonal();
    const meta = await caches.open(META_CACHE);
    await meta.put(WHO, new Response(user));
  }
}

async function sessionEnds() {
  const answer = await caches.match(ENDS, { cacheName: META_CACHE });
  return answer ? Number(await answer.text()) : null;
}

// "<user>; ends-in=<seconds>": a fresh answer of the server, for the user whose pages are kept.
async function noteSession(header) {
  const [user, rest] = header.split(";").map((part) => part.trim());
  const seconds = Number((rest || "").replace("ends-in=", ""));
  if (!user || !Number.isFinite(seconds) || (await keptUser()) !== user) {
    return;
  }
  const meta = await caches.open(META_CACHE);
  await meta.put(ENDS, new Response(String(Date.now() + seconds * 1000)));
}

// The session is over: every kept page goes but the queue page, which shows what still
// waits to be sent. No page is kept again until the server answers for a user once more.
async function endSession() {
  const user = await keptUser();
  for (const name of await caches.keys()) {
    if (!name.startsWith(USER_CACHE)) {
      continue;
    }
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      if (name !== USER_CACHE + user || new URL(request.url).pathname !== QUEUE_PAGE) {
        await cache.delete(request);
      }
    }
  }
  const meta = await caches.open(META_CACHE);
  await meta.put(ENDS, new Response("0"));
}

async function sessionOver() {
  const ends = await sessionEnds();
  return ends !== null && Date.now() >= ends;
}

async function keep(request, response) {
  const user = response.headers.get(HEADER);
  if (!user || response.status !== 200 || (await keptUser()) !== user || (await sessionOver())) {
    return;
  }
  const cache = await caches.open(USER_CACHE + user);
  await cache.put(request.url, response);
}

async function fromKept(url) {
  const user = await keptUser();
  if (!user) {
    return undefined;
  }
  if (await sessionOver()) {
    await oneAtATime(endSession);
  }
  const cacheName = USER_CACHE + user;
  return (
    (await caches.match(url, { cacheName })) ||
    (await caches.match(url, { cacheName, ignoreSearch: true }))
  );
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function networkThenKept({ request, event }) {
  const network = fetch(request).then((response) => {
    const session = response.headers.get(SESSION_HEADER);
    if (session) {
      event.waitUntil(oneAtATime(() => noteSession(session)));
    }
    if (response.headers.get(HEADER)) {
      const copy = response.clone();
      event.waitUntil(oneAtATime(() => keep(request, copy)));
    }
    return response;
  });
  try {
    const slow = timeout(NETWORK_TIMEOUT_MS).then(() => fromKept(request.url));
    const first = await Promise.race([network, slow]);
    return first || (await network);
  } catch (error) {
    const kept = await fromKept(request.url);
    if (kept) {
      return kept;
    }
    if (request.mode === "navigate") {
      const queue = await fromKept(new URL(QUEUE_PAGE, self.location.origin).href);
      if (queue) {
        return queue;
      }
    }
    throw error;
  }
}

// Pages and the places of the user: from the network, kept when marked; the kept copy
// without a network. The page's offline.js also asks for the open cases to be kept.
workbox.routing.registerRoute(
  ({ url, request }) =>
    url.origin === self.location.origin &&
    request.method === "GET" &&
    !url.pathname.startsWith("/static/") &&
    (request.mode === "navigate" || request.headers.get("X-Offline-Keep") === "1"),
  networkThenKept
);

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const work =
    data.type === "user" ? () => becomeUser(String(data.user))
    : data.type === "forget" ? forgetPersonal
    : data.type === "session-ended" ? endSession
    : data.type === "session" ? sessionEnds
    : data.type === "flush" ? () => undefined // answered once every page asked for is kept
    : null;
  if (work) {
    event.waitUntil(
      oneAtATime(work).then(
        (answer) => event.ports[0] && event.ports[0].postMessage(answer === undefined ? "done" : answer)
      )
    );
  }
});
