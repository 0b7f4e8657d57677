// Storefront load: virtual shoppers, each with its own cookie jar and CSRF
// token, walking the path a storefront's visitors take. Every request is
// timed under its request type; the summary prints throughput and
// p50/p95/p99 per type, and any unexpected answer fails the run.
//
//   k6 run -e BASE_URL=http://127.0.0.1:18080 bench/shoppers.js
//
// Environment:
//   BASE_URL   Vitrin's address (default http://127.0.0.1:8000)
//   VUS        concurrent shoppers (default 16); with RATE, the most at once
//   RATE       visits started per second: an open model at a constant
//              arrival rate (deploy/drill's soak), instead of VUS shoppers
//              visiting one after the other
//   DURATION   seconds of load (default 30)
//   ONLY       one request type to repeat (for profiling it), e.g. ONLY=login
//   NAME       the name of the result files (k6.json, k6.txt by default)
//   OUT        directory for summary.json and summary.txt (default bench/out)
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const VUS = parseInt(__ENV.VUS || '16', 10);
const DURATION = parseInt(__ENV.DURATION || '30', 10);
const RATE = parseFloat(__ENV.RATE || '0');
const ONLY = __ENV.ONLY || '';
const OUT = __ENV.OUT || 'bench/out';
const PASSWORD = 'Bench-shopper-2024';

// The request types, in funnel order. A type the server does not offer
// yet is listed in the summary as skipped, never silently left out.
const TYPES = ['csrf', 'menu', 'category', 'filter', 'search', 'autocomplete', 'product',
  'basket_add', 'basket_update', 'basket', 'login', 'checkout'];

const durations = {};
const requests = {};
for (const t of TYPES) {
  durations[t] = new Trend(`req_${t}`, true);
  requests[t] = new Counter(`count_${t}`);
}
const errors = new Counter('errors');
const orders = new Counter('orders');
const repriced = new Counter('repriced_checkouts');
let errorsLogged = 0;

export const options = {
  setupTimeout: '120s',
  scenarios: {
    shoppers: RATE > 0
      ? { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: `${DURATION}s`,
        preAllocatedVUs: VUS, maxVUs: VUS, gracefulStop: '30s' }
      : { executor: 'constant-vus', vus: VUS, duration: `${DURATION}s`, gracefulStop: '5s' },
  },
  thresholds: { errors: ['count==0'] },
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max', 'count'],
};

// ---- requests ------------------------------------------------------------

function url(path) { return BASE + path; }

// shopperJar is this virtual shopper's cookie jar. k6 empties its own
// jar at every iteration; this one lives as long as the shopper, so a
// shopper logged in once (ONLY=checkout) stays logged in. A visit starts
// with an empty jar: a new shopper.
let jar = null;
function shopperJar() {
  if (!jar) jar = new http.CookieJar();
  return jar;
}

function getCsrfToken() {
  http.get(url('/csrf_token/'), { jar: shopperJar() });
}

// csrfToken reads the token from the shopper's jar: the server rotates it
// on login, so it is read fresh before every unsafe request.
function csrfToken() {
  const c = shopperJar().cookiesForURL(BASE + '/').csrftoken;
  return c && c.length ? c[0] : '';
}

// timed sends one request of a type, records it, and counts any answer
// other than 200 (or than what accept allows) as an error (with the first
// few logged). It returns the
// parsed answer, or with raw true only whether it succeeded: parsing costs
// k6 the CPU that the server under test shares.
function timed(type, method, path, body, raw, accept) {
  const params = { jar: shopperJar(), tags: { type }, headers: {}, responseType: 'text' };
  if (method !== 'GET') {
    params.headers['x-csrftoken'] = csrfToken();
    params.headers['Referer'] = BASE + '/';
  }
  if (body !== null && typeof body === 'object' && !body.__form) {
    params.headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  } else if (body && body.__form) {
    delete body.__form;
  }
  const res = http.request(method, url(path), body, params);
  durations[type].add(res.timings.duration);
  requests[type].add(1);
  if (res.status !== 200 && !(accept && accept(res))) {
    errors.add(1, { type });
    if (errorsLogged++ < 10) {
      console.error(`${type}: ${method} ${path} answered ${res.status}: ${String(res.body).slice(0, 300)}`);
    }
    return null;
  }
  if (raw) return true;
  try {
    return JSON.parse(res.body);
  } catch (e) {
    return {};
  }
}

function pick(list) { return list[Math.floor(Math.random() * list.length)]; }

// ---- set-up: what the whole run shares -----------------------------------

// setup learns the store (categories, product pks, search words), checks
// which request types the server offers, and registers one customer per
// shopper so that logins and checkouts never share a basket.
export function setup() {
  const menu = JSON.parse(http.get(url('/menus/generate/?depth_height=3')).body || '{}');
  const categories = [];
  const walk = (items) => (items || []).forEach((i) => {
    const id = i.extra_context && i.extra_context.attributes && i.extra_context.attributes.category_id;
    if (id) categories.push(id);
    walk(i.children);
  });
  walk(menu.menu);
  if (!categories.length) throw new Error('the menu lists no categories: is a store imported?');

  const first = JSON.parse(http.get(url('/list/')).body);
  const pages = first.pagination.num_pages;
  const products = [];
  const buyable = [];
  const words = new Set();
  for (let i = 0; i < 40; i++) {
    const page = JSON.parse(http.get(url(`/list/?page=${1 + Math.floor(Math.random() * pages)}`)).body);
    for (const p of page.products) {
      products.push(p.pk);
      if (p.in_stock && !(p.stock < 3)) buyable.push(p.pk);
      const w = String(p.name).split(/[\s,]+/).filter((x) => x.length > 3);
      if (w.length) words.add(w[w.length - 1]);
    }
  }
  // Filter URLs for ONLY=filter, built the way shoppers build theirs.
  const filters = [];
  for (let i = 0; i < 8; i++) {
    const cat = pick(categories);
    const answer = JSON.parse(http.get(url(`/category/${cat}/`)).body);
    filters.push(filterPath(cat, answer));
  }

  const offered = {};
  for (const t of TYPES) offered[t] = true;
  const checkout = http.get(url('/orders/checkout/'));
  if (checkout.status === 404 || checkout.status === 405) {
    offered.checkout = false;
    console.warn('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    console.warn(`!!! SKIPPED: checkout — GET /orders/checkout/ answers ${checkout.status}; this server has no checkout yet`);
    console.warn('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  }

  const places = geography();
  const stamp = Date.now();
  const customers = [];
  // Registering costs a password hash each: only for runs that log in.
  const shoppersLogIn = !ONLY || ONLY === 'login' || ONLY === 'checkout';
  for (let i = 0; shoppersLogIn && i < VUS; i++) {
    const email = `shopper${i}.${stamp}@bench.invalid`;
    shopperJar().clear(BASE);
    getCsrfToken();
    const reg = http.post(url('/users/registration/'), JSON.stringify({
      email, password: PASSWORD, first_name: 'Yük', last_name: `Testi ${i}`, phone: '05321234567',
      confirm: true, kvkk_confirm: true, email_allowed: false, sms_allowed: false,
    }), { jar: shopperJar(), headers: { 'Content-Type': 'application/json', 'x-csrftoken': csrfToken() } });
    if (reg.status !== 200) throw new Error(`register ${email}: ${reg.status} ${reg.body}`);
    if (offered.checkout && places) {
      const addr = http.post(url('/address/'), JSON.stringify(Object.assign({
        title: 'Ev', first_name: 'Yük', last_name: `Testi ${i}`, phone_number: '05321234567',
        line: 'Bağdat Caddesi 1', postcode: '34710', email,
      }, places)), { jar: shopperJar(), headers: { 'Content-Type': 'application/json', 'x-csrftoken': csrfToken() } });
      if (addr.status !== 201 && addr.status !== 200) throw new Error(`address for ${email}: ${addr.status} ${addr.body}`);
    }
    customers.push(email);
  }
  shopperJar().clear(BASE);
  return { categories, products, buyable, words: [...words], filters, offered, customers };
}

// geography finds a country/city/township/district chain for addresses.
function geography() {
  const first = (path) => {
    const r = http.get(url(path));
    if (r.status !== 200) return null;
    const list = JSON.parse(r.body).results || [];
    return list.length ? list[0].pk : null;
  };
  const country = first('/address/country/');
  const city = country && first(`/address/city/?country=${country}`);
  const township = city && first(`/address/township/?city=${city}`);
  const district = township && first(`/address/district/?township=${township}`);
  return district ? { country, city, township, district } : null;
}

// filterPath narrows a category by one or two facets of its own answer,
// using each facet's search_key as the storefront does.
function filterPath(category, answer) {
  const facets = ((answer && answer.facets) || []).filter((f) => f.search_key !== 'category_ids' &&
    f.data && (f.data.choices || []).some((c) => c.quantity > 0));
  const params = [];
  const n = Math.min(facets.length, 1 + Math.floor(Math.random() * 2));
  for (let i = 0; i < n; i++) {
    const f = facets.splice(Math.floor(Math.random() * facets.length), 1)[0];
    const c = pick(f.data.choices.filter((x) => x.quantity > 0));
    params.push(`${encodeURIComponent(f.search_key)}=${encodeURIComponent(c.value)}`);
  }
  return `/category/${category}/` + (params.length ? '?' + params.join('&') : '');
}

// ---- one shopper's visit -------------------------------------------------

// inStock returns the pk of a product that can be put in the basket
// twice over, taken from a product page answer.
function inStock(answer) {
  if (!answer || !answer.product) return null;
  return answer.product.stock >= 2 ? answer.product.pk : null;
}

function login(store) {
  const email = store.customers[(exec.vu.idInTest - 1) % store.customers.length];
  return timed('login', 'POST', '/users/login/', { email, password: PASSWORD }) !== null;
}

function visit(store) {
  shopperJar().clear(BASE);
  timed('csrf', 'GET', '/csrf_token/', null);
  timed('menu', 'GET', '/menus/generate/?depth_height=3', null);

  const cat = pick(store.categories);
  const listing = timed('category', 'GET', `/category/${cat}/`, null);
  const filtered = timed('filter', 'GET', filterPath(cat, listing), null);

  if (Math.random() < 0.5) {
    const word = pick(store.words);
    timed('autocomplete', 'GET', `/autocomplete/?search_text=${encodeURIComponent(word.slice(0, 3))}`, null);
    timed('search', 'GET', `/list/?search_text=${encodeURIComponent(word)}`, null);
  }

  const seen = ((filtered && filtered.products) || (listing && listing.products) || []).map((p) => p.pk);
  let wanted = null;
  for (let i = 0; i < 3; i++) {
    const pk = seen.length && Math.random() < 0.7 ? pick(seen) : pick(store.products);
    wanted = inStock(timed('product', 'GET', `/product/${pk}/`, null)) || wanted;
  }

  const loggedIn = Math.random() < 0.25 && login(store);
  if (wanted && Math.random() < 0.6) {
    timed('basket_add', 'POST', '/baskets/basket/', { product: wanted, quantity: 1 });
    if (Math.random() < 0.5) timed('basket_update', 'PUT', '/baskets/basket/', { product: wanted, quantity: 2 });
    timed('basket', 'GET', '/baskets/basket/', null);
    if (loggedIn && store.offered.checkout && Math.random() < 0.5) checkout();
  }
}

// ---- checkout ------------------------------------------------------------

// checkout walks the steps the server asks for (the last context of each
// answer) with the first offered choice, preferring payments that need no
// card, until the order is placed.
function checkout() {
  let reviews = 0;
  let state = timed('checkout', 'GET', '/orders/checkout/', null);
  for (let step = 0; state && step < 15; step++) {
    const contexts = state.context_list || [];
    const page = contexts.length ? contexts[contexts.length - 1] : null;
    if (__ENV.DEBUG) console.log(`checkout step ${step}: ${page && page.page_name} ${JSON.stringify(page && page.page_context).slice(0, 400)}`);
    if (page && page.page_name === 'ThankYouPage') {
      orders.add(1);
      return;
    }
    if (!page) break;
    const body = checkoutStep(page.page_name, page.page_context || {});
    if (!body) {
      errors.add(1, { type: 'checkout' });
      if (errorsLogged++ < 10) console.error(`checkout: no way through ${page.page_name}: ${JSON.stringify(page.page_context).slice(0, 300)}`);
      return;
    }
    body.__form = true;
    state = timed('checkout', 'POST', `/orders/checkout/?page=${page.page_name}`, body, false, basketChanged);
    if (state && state.errors && basketChangedAnswer(state) && reviews++ < 3) {
      repriced.add(1);
      state = timed('checkout', 'GET', '/orders/checkout/', null);
      continue;
    }
    if (state && state.errors) {
      errors.add(1, { type: 'checkout' });
      if (errorsLogged++ < 10) console.error(`checkout: ${page.page_name}: ${JSON.stringify(state.errors)}`);
      return;
    }
  }
  errors.add(1, { type: 'checkout' });
  if (errorsLogged++ < 10) console.error(`checkout: no order placed; last answer ${JSON.stringify(state).slice(0, 300)}`);
}

// A price that changed while the shopper checked out (the run with
// catalog changes) is refused at the last step so that nobody is charged
// an amount they did not see: the shopper reviews and confirms again.
const basketChangedText = /basket changed while you were checking out/;
function basketChanged(res) { return res.status === 400 && basketChangedText.test(res.body); }
function basketChangedAnswer(state) {
  return basketChangedText.test(JSON.stringify(state.errors.non_field_errors || []));
}

function firstPk(list) { return list && list.length ? String(list[0].pk) : null; }

function checkoutStep(name, ctx) {
  switch (name) {
    case 'DeliveryOptionSelectionPage': {
      const home = (ctx.delivery_options || []).filter((o) => o.delivery_option_type !== 'retail_store');
      const pk = firstPk(home.length ? home : ctx.delivery_options);
      return pk && { delivery_option: pk };
    }
    case 'AddressSelectionPage': {
      const pk = firstPk(ctx.addresses);
      return pk && { shipping_address: pk, billing_address: pk };
    }
    case 'ShippingOptionSelectionPage': {
      const pk = firstPk(ctx.shipping_options);
      return pk && { shipping_option: pk };
    }
    case 'PaymentOptionSelectionPage': {
      const options = ctx.payment_options || [];
      const noCard = options.filter((o) => /funds_transfer|pay_on_delivery/.test(o.payment_type || ''));
      const pk = firstPk(noCard.length ? noCard : options);
      return pk && { payment_option: pk };
    }
    case 'FundsTransferChoicePage': {
      const pk = firstPk(ctx.bank_accounts);
      return pk && { bank_account: pk };
    }
    case 'FundsTransferPage':
      return { agreement: 'true' };
    case 'PayOnDeliveryPaymentChoicePage': {
      const choice = (ctx.payment_choices || [])[0];
      return choice && { payment_choice: String(choice.value !== undefined ? choice.value : choice.pk) };
    }
    case 'PayOnDeliveryPage':
      return { agreement: 'true', paymentType: 'pay_on_delivery' };
    default:
      return null;
  }
}

// ---- ONLY: one request type on repeat, for its profile ---------------------

const only = {
  csrf: () => timed('csrf', 'GET', '/csrf_token/', null, true),
  menu: () => timed('menu', 'GET', '/menus/generate/?depth_height=3', null, true),
  category: (s) => timed('category', 'GET', `/category/${pick(s.categories)}/`, null, true),
  filter: (s) => timed('filter', 'GET', pick(s.filters), null, true),
  search: (s) => timed('search', 'GET', `/list/?search_text=${encodeURIComponent(pick(s.words))}`, null, true),
  autocomplete: (s) => timed('autocomplete', 'GET', `/autocomplete/?search_text=${encodeURIComponent(pick(s.words).slice(0, 3))}`, null, true),
  product: (s) => timed('product', 'GET', `/product/${pick(s.products)}/`, null, true),
  basket_add: (s) => {
    shopperJar().clear(BASE);
    getCsrfToken();
    timed('basket_add', 'POST', '/baskets/basket/', { product: pick(s.buyable), quantity: 1 }, true);
  },
  basket_update: (s) => {
    if (!vuState.product) {
      getCsrfToken();
      vuState.product = pick(s.buyable);
      timed('basket_add', 'POST', '/baskets/basket/', { product: vuState.product, quantity: 1 }, true);
    }
    timed('basket_update', 'PUT', '/baskets/basket/', { product: vuState.product, quantity: 1 + (exec.vu.iterationInScenario % 2) }, true);
  },
  basket: (s) => {
    if (!vuState.product) {
      getCsrfToken();
      vuState.product = pick(s.buyable);
      timed('basket_add', 'POST', '/baskets/basket/', { product: vuState.product, quantity: 1 }, true);
    }
    timed('basket', 'GET', '/baskets/basket/', null, true);
  },
  login: (s) => {
    shopperJar().clear(BASE);
    getCsrfToken();
    login(s);
  },
  checkout: (s) => {
    // Logged in once per shopper: the profile is of checking out, not of
    // the password hash.
    if (!vuState.loggedIn) {
      getCsrfToken();
      vuState.loggedIn = login(s);
    }
    // Each shopper buys from its own share of the products, and looks at
    // the product page first: a fast run sells products out, and adding
    // one that sold out would count as an error.
    const share = Math.floor(s.buyable.length / VUS);
    for (let tries = 0; tries < share; tries++) {
      vuState.next = (vuState.next === undefined ? 0 : vuState.next + 1) % share;
      const product = s.buyable[(exec.vu.idInTest - 1) % VUS * share + vuState.next];
      const page = timed('product', 'GET', `/product/${product}/`, null);
      if (page && page.product && page.product.stock >= 1) {
        timed('basket_add', 'POST', '/baskets/basket/', { product, quantity: 1 }, true);
        checkout();
        return;
      }
    }
    console.warn(`shopper ${exec.vu.idInTest}: every product of its share sold out`);
  },
};
const vuState = {};

export default function (store) {
  if (!ONLY) return visit(store);
  if (!only[ONLY]) throw new Error(`ONLY=${ONLY}: not one of ${TYPES.join(', ')}`);
  if (!store.offered[ONLY]) {
    console.warn(`!!! SKIPPED: ${ONLY} is not offered by this server`);
    exec.test.abort(`${ONLY} is not offered by this server`);
  }
  // bench/run starts the CPU profile when it reads this line.
  if (exec.vu.idInTest === 1 && exec.vu.iterationInScenario === 0) console.log('load started');
  only[ONLY](store);
}

// ---- summary -------------------------------------------------------------

function fmt(n, width) { return String(n).padStart(width); }

export function handleSummary(data) {
  const seconds = DURATION;
  const rows = [];
  let total = 0;
  for (const t of TYPES) {
    const m = data.metrics[`req_${t}`];
    const count = m ? m.values.count : 0;
    total += count;
    rows.push({
      type: t,
      count,
      rps: count / seconds,
      p50: m ? m.values.med : null,
      p95: m ? m.values['p(95)'] : null,
      p99: m ? m.values['p(99)'] : null,
      skipped: data.setup_data && data.setup_data.offered && data.setup_data.offered[t] === false,
    });
  }
  const errorCount = data.metrics.errors ? data.metrics.errors.values.count : 0;
  const ms = (v) => (v === null || v === undefined ? '-' : v.toFixed(1));
  let text = `\nk6 storefront scenario: ${VUS} shoppers, ${seconds}s${ONLY ? `, ONLY=${ONLY}` : ''}, ${BASE}\n`;
  text += `${'type'.padEnd(14)}${fmt('req/s', 9)}${fmt('count', 8)}${fmt('p50 ms', 9)}${fmt('p95 ms', 9)}${fmt('p99 ms', 9)}\n`;
  for (const r of rows) {
    if (r.skipped) {
      text += `${r.type.padEnd(14)}  SKIPPED: not offered by this server\n`;
      continue;
    }
    if (!r.count) continue;
    text += `${r.type.padEnd(14)}${fmt(r.rps.toFixed(1), 9)}${fmt(r.count, 8)}${fmt(ms(r.p50), 9)}${fmt(ms(r.p95), 9)}${fmt(ms(r.p99), 9)}\n`;
  }
  text += `${'all'.padEnd(14)}${fmt((total / seconds).toFixed(1), 9)}${fmt(total, 8)}\n`;
  const repricedCount = data.metrics.repriced_checkouts ? data.metrics.repriced_checkouts.values.count : 0;
  if (repricedCount) text += `checkouts whose prices changed before the last step, confirmed again: ${repricedCount}\n`;
  text += `errors: ${errorCount}${errorCount ? '  <-- RUN FAILED' : ''}\n`;
  const name = __ENV.NAME || (ONLY ? `k6-only-${ONLY}` : 'k6');
  const slowest = rows.filter((r) => r.count && !r.skipped).sort((a, b) => b.p95 - a.p95).slice(0, 3).map((r) => r.type);
  return {
    [`${OUT}/${name}-slowest.txt`]: slowest.join('\n') + '\n',
    stdout: text,
    [`${OUT}/${name}.txt`]: text,
    [`${OUT}/${name}.json`]: JSON.stringify({ vus: VUS, seconds, only: ONLY, errors: errorCount, types: rows }, null, 1),
  };
}
