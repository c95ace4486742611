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
 */
/* global workbox */
importScripts(self.YOUJIE.workboxSw);
workbox.setConfig({ debug: false, modulePathCb: (name) => self.YOUJIE.modules[name] });

const HEADER = "X-Offline-Cache";
const USER_CACHE = "youjie-user-";
const META_CACHE = "youjie-meta";
const WHO = "/__youjie/user";
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

async function keep(request, response) {
  const user = response.headers.get(HEADER);
  if (!user || response.status !== 200 || (await keptUser()) !== user) {
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
    : data.type === "flush" ? () => undefined // answered once every page asked for is kept
    : null;
  if (work) {
    event.waitUntil(
      oneAtATime(work).then(() => event.ports[0] && event.ports[0].postMessage("done"))
    );
  }
});
