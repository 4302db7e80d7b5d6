// authkit demo page: one source for every variant, on top of the same JSON API.
//
// The auth style is found at start: `GET /csrf` answers 200 on the session variants (cookie +
// X-CSRF-Token) and 404 on the JWT variants (bearer tokens). Everything here is module scope,
// not `window`: a second script on the page cannot name these variables.
//
// "Remember me" is sent with the login. A session variant then sets a persistent cookie
// instead of one that ends with the browser. In bearer mode the server answers the same and
// the page decides: the tokens live in this module's memory by default (gone on reload and
// when the browser closes), and with "remember me" in localStorage (which outlives both, and
// which an injected script can read). `?storage=local` ticks the box, for the demo.
//
// The DOM is only ever written with textContent, never innerHTML.

const STORAGE_KEY = "authkit.tokens";
const params = new URLSearchParams(location.search);
const rememberByDefault = params.get("storage") === "local";

const state = {
  style: null, // "session" | "bearer"
  csrf: null, // session style: the session's CSRF token (readable by script, by design)
  tokens: null, // bearer style: {access, refresh, expiresAt (ms)}
  remember: false, // bearer style: whether the tokens are kept in localStorage
  refreshing: null, // the one refresh in flight
  refreshTimer: null,
  products: [],
};

const $ = (id) => document.getElementById(id);

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function money(cents) {
  return (cents / 100).toFixed(2);
}

// -- bearer tokens -------------------------------------------------------------------------

function saveTokens(body) {
  state.tokens = {
    access: body.access_token,
    refresh: body.refresh_token,
    expiresAt: Date.now() + body.expires_in * 1000,
  };
  if (state.remember) localStorage.setItem(STORAGE_KEY, JSON.stringify(state.tokens));
  scheduleRefresh();
}

function dropTokens() {
  state.tokens = null;
  clearTimeout(state.refreshTimer);
  localStorage.removeItem(STORAGE_KEY);
}

function loadStoredTokens() {
  // Read once at start; afterwards this tab works from its own copy (as most single-page apps
  // do), so a logout in another tab shows what the server does with that copy. Tokens are
  // there only if a login asked to be remembered.
  try {
    state.tokens = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    state.tokens = null;
  }
  state.remember = state.tokens !== null;
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  if (!state.tokens) return;
  const lifetime = state.tokens.expiresAt - Date.now();
  // Refresh when 80% of the access token's lifetime has passed, so it never expires in use.
  const delay = Math.max(1000, lifetime * 0.8);
  state.refreshTimer = setTimeout(() => refreshTokens().catch(() => {}), delay);
}

async function refreshTokens() {
  if (!state.refreshing) {
    state.refreshing = (async () => {
      const refresh = state.tokens && state.tokens.refresh;
      if (!refresh) return false;
      const response = await fetch("/token/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
        credentials: "omit",
      });
      if (!response.ok) {
        dropTokens();
        return false;
      }
      saveTokens(await response.json());
      return true;
    })().finally(() => {
      state.refreshing = null;
    });
  }
  return state.refreshing;
}

// -- one request helper for both styles -----------------------------------------------------

async function api(method, path, body) {
  const send = () => {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.style === "session" && method !== "GET" && state.csrf) {
      headers["X-CSRF-Token"] = state.csrf;
    }
    if (state.style === "bearer" && state.tokens) {
      headers.Authorization = `Bearer ${state.tokens.access}`;
    }
    return fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // The session cookie rides along same-origin; bearer mode sends no cookie at all.
      credentials: state.style === "session" ? "same-origin" : "omit",
      cache: "no-store",
    });
  };
  if (state.style === "bearer" && state.tokens && Date.now() > state.tokens.expiresAt - 2000) {
    await refreshTokens();
  }
  let response = await send();
  if (response.status === 401 && state.style === "bearer" && state.tokens) {
    if (await refreshTokens()) response = await send();
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { status: response.status, ok: response.ok, data };
}

function errorText(result) {
  const error = result.data && result.data.error;
  return error ? `${error.message} (${result.status} ${error.code})` : `HTTP ${result.status}`;
}

// -- rendering -------------------------------------------------------------------------------

function showLoggedOut(message) {
  $("account").hidden = true;
  $("whoami").textContent = "";
  $("cart-section").hidden = true;
  $("cart-lines").replaceChildren();
  delete $("cart-lines").dataset.loaded;
  $("login").hidden = false;
  document.body.dataset.auth = "anonymous";
  if (message) setStatus(message);
}

function showLoggedIn(username) {
  $("whoami").textContent = username;
  $("account").hidden = false;
  $("login").hidden = true;
  $("cart-section").hidden = false;
  document.body.dataset.auth = "user";
}

function renderProducts() {
  const items = state.products.map((product) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = product.name;
    const price = document.createElement("span");
    price.className = "price";
    price.textContent = money(product.price_cents);
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = "Add";
    add.dataset.product = product.id;
    add.addEventListener("click", () => addToCart(product.id));
    li.append(name, price, add);
    return li;
  });
  $("products").replaceChildren(...items);
}

function renderCart(cart) {
  const rows = cart.items.map((item) => {
    const tr = document.createElement("tr");
    tr.dataset.product = item.product_id;
    const cells = [item.name, String(item.quantity), money(item.line_total_cents)].map((text) => {
      const td = document.createElement("td");
      td.textContent = text;
      return td;
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => removeFromCart(item.product_id));
    const action = document.createElement("td");
    action.append(remove);
    tr.append(...cells, action);
    return tr;
  });
  $("cart-lines").replaceChildren(...rows);
  // The server's cart is on screen (tests wait for this, not for the section to show).
  $("cart-lines").dataset.loaded = "1";
  $("cart-total").textContent = money(cart.total_cents);
  $("cart-empty").hidden = cart.items.length > 0;
}

// -- actions ---------------------------------------------------------------------------------

async function loadCart() {
  const result = await api("GET", "/cart");
  if (result.status === 401) return showLoggedOut("Your session has ended: log in again.");
  if (!result.ok) return setStatus(errorText(result), true);
  renderCart(result.data);
}

async function addToCart(productId) {
  if (document.body.dataset.auth !== "user") return setStatus("Log in to add to the cart.", true);
  const result = await api("POST", "/cart/items", { product_id: productId, quantity: 1 });
  if (result.status === 401) return showLoggedOut("Your session has ended: log in again.");
  if (!result.ok) return setStatus(errorText(result), true);
  renderCart(result.data);
  setStatus("Added to the cart.");
}

async function removeFromCart(productId) {
  const result = await api("DELETE", `/cart/items/${encodeURIComponent(productId)}`);
  if (result.status === 401) return showLoggedOut("Your session has ended: log in again.");
  if (!result.ok) return setStatus(errorText(result), true);
  renderCart(result.data);
}

async function login(event) {
  event.preventDefault();
  const remember = $("remember").checked;
  const result = await api("POST", "/login", {
    username: $("username").value,
    password: $("password").value,
    remember,
  });
  if (!result.ok) return setStatus(errorText(result), true);
  $("password").value = "";
  if (state.style === "session") state.csrf = result.data.csrf_token;
  else {
    state.remember = remember;
    // A login not to be remembered replaces one that was: nothing of it stays on disk.
    if (!remember) localStorage.removeItem(STORAGE_KEY);
    saveTokens(result.data);
  }
  describeMode();
  showLoggedIn(result.data.username);
  setStatus("");
  await loadCart();
}

async function logout(everywhere) {
  await api("POST", everywhere ? "/logout-all" : "/logout");
  dropTokens();
  state.csrf = null;
  // A full navigation to a new history entry: it wipes this document's memory (tokens and
  // anything an injected script left behind), and Back must then load `/` afresh (no-store).
  const next = new URLSearchParams({ logged_out: "1" });
  if (rememberByDefault) next.set("storage", "local");
  location.assign(`/?${next}`);
}

// -- start -----------------------------------------------------------------------------------

function describeMode() {
  if (state.style === "session") {
    $("mode").textContent = "session cookie (HttpOnly) + X-CSRF-Token";
    $("explain").textContent =
      "The session ID is an HttpOnly cookie: script on this page cannot read it, and the " +
      "browser attaches it only to same-site requests (SameSite=Lax). Script can still act " +
      "as you while the page is open: it can read the CSRF token and call the API. Without " +
      "\"remember me\" the cookie ends when the browser closes; with it, it lasts the idle " +
      "timeout, never past the session's absolute timeout.";
    return;
  }
  $("mode").textContent = state.remember
    ? "bearer token in localStorage (remember me)"
    : "bearer token in memory";
  $("explain").textContent = state.remember
    ? "Tokens are kept in localStorage (\"remember me\"): they survive a reload and a " +
      "browser restart, and any script on this origin can read them and use them from " +
      "anywhere until they expire."
    : "Tokens are kept in this page's memory only: a reload or closing the browser logs you " +
      "out, and no cookie is ever sent. A script injected while the page is open can still " +
      "act as you. \"Remember me\" keeps them in localStorage instead.";
  const link = document.createElement("a");
  link.href = rememberByDefault ? "/" : "/?storage=local";
  link.textContent = rememberByDefault
    ? "Untick \"remember me\" by default"
    : "Demo: tick \"remember me\" by default";
  $("storage-switch").replaceChildren(link);
  $("storage-switch").hidden = false;
}

async function start() {
  document.body.dataset.auth = "starting";
  const [csrf, health, products] = await Promise.all([
    fetch("/csrf", { credentials: "same-origin", cache: "no-store" }),
    fetch("/health", { cache: "no-store" }).catch(() => null),
    fetch("/products"),
  ]);
  state.style = csrf.status === 404 ? "bearer" : "session";
  document.body.dataset.style = state.style;
  if (state.style === "session" && csrf.ok) state.csrf = (await csrf.json()).csrf_token;
  if (health && health.ok) $("variant").textContent = (await health.json()).variant;
  if (products.ok) state.products = (await products.json()).products;
  renderProducts();

  $("remember").checked = rememberByDefault;
  if (state.style === "bearer") loadStoredTokens();
  describeMode();
  const me = state.style === "session" || state.tokens ? await api("GET", "/me") : null;
  if (me && me.ok) {
    if (state.style === "bearer") scheduleRefresh();
    showLoggedIn(me.data.username);
    await loadCart();
  } else {
    if (state.style === "bearer") dropTokens();
    showLoggedOut(params.has("logged_out") ? "You are logged out." : "");
  }
  document.body.dataset.ready = "1";
}

$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", () => logout(false));
$("logout-all").addEventListener("click", () => logout(true));
$("cart-refresh").addEventListener("click", loadCart);
// A page restored from the back/forward cache would show what it showed before (perhaps a
// logged-in view): load it afresh instead. `Cache-Control: no-store` keeps most such pages
// out of that cache already; this covers browsers that keep them anyway.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) location.reload();
});
start().catch((error) => setStatus(`The page could not start: ${error}`, true));
