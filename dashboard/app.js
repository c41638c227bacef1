// The admin dashboard: plain browser JavaScript, no build step, no library. Its data comes from
// /admin/operations and /admin/statistics with the admin's token. Everything that comes from the server is
// rendered through textContent and setAttribute, never innerHTML: statusDetail and resourceLocation are
// whatever any client wrote.

const TOKEN_KEY = 'graph-lro.admin-token';
const REFRESH_MS = 2000;
const PAGE_SIZE = 50;
const MAX_TOP = 500;
const FILTER_DELAY_MS = 400;
/** Stacking order of the chart, bottom up, and the order of totals and legend. */
const STATUSES = ['notStarted', 'running', 'succeeded', 'failed', 'unknownFutureValue'];
/** Graph's evolvable-enum sentinel: no operation is stored with it, so it is shown only when counted. */
const SENTINEL = 'unknownFutureValue';
const SVG_NS = 'http://www.w3.org/2000/svg';

const byId = (id) => document.getElementById(id);
const ui = {
  statusLine: byId('status-line'),
  updated: byId('updated'),
  signOut: byId('sign-out'),
  signIn: byId('sign-in'),
  signInMessage: byId('sign-in-message'),
  signInForm: byId('sign-in-form'),
  tokenInput: byId('token-input'),
  dashboard: byId('dashboard'),
  totals: byId('totals'),
  chart: byId('chart'),
  chartRange: byId('chart-range'),
  legend: byId('legend'),
  filters: byId('filters'),
  filterStatus: byId('filter-status'),
  filterUser: byId('filter-user'),
  filterClear: byId('filter-clear'),
  rows: document.querySelector('#operations tbody'),
  empty: byId('empty'),
  loadMore: byId('load-more'),
};

const state = {
  token: null,
  rows: [],
  nextLink: undefined,
  /** How many rows the live refresh keeps showing: a page, or more after "Load more". */
  rowsWanted: PAGE_SIZE,
  /** What was last drawn, so that an unchanged refresh does not rebuild the DOM (and lose a text selection). */
  drawnRows: '',
  drawnStats: '',
  statistics: undefined,
  timer: undefined,
  controller: undefined,
  filterTimer: undefined,
};

class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- The token -------------------------------------------------------------------------------------------

/** `#token=…` wins (a fresh link; fragments are never sent to a server), then this tab's session. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    // Out of the address bar, the history, bookmarks and screenshots of the URL.
    history.replaceState(null, '', location.pathname + location.search);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function signIn(token) {
  state.token = token.replace(/^Bearer\s+/i, '').trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  state.drawnRows = state.drawnStats = '';
  ui.signIn.hidden = true;
  ui.signOut.hidden = false;
  setStatus('Loading…');
  void refresh();
}

function signOut(message, kind = 'info', status = 'Not signed in.') {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.timer);
  state.controller?.abort();
  state.rows = [];
  state.nextLink = undefined;
  state.drawnRows = state.drawnStats = '';
  state.statistics = undefined;
  ui.rows.replaceChildren();
  ui.totals.replaceChildren();
  ui.chart.replaceChildren();
  ui.updated.textContent = '';
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.signIn.hidden = false;
  ui.signInMessage.textContent = message;
  ui.signInMessage.dataset.kind = kind;
  setStatus(status, kind);
  ui.tokenInput.focus();
}

// --- The API ---------------------------------------------------------------------------------------------

async function getJson(path, signal) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  const body = await response.json().catch(() => undefined);
  if (response.ok) return body;
  const message = body?.error?.message ?? `${response.status} ${response.statusText}`;
  if (response.status === 401 || response.status === 403) throw new AuthError(response.status, message);
  throw new Error(message);
}

/**
 * A nextLink is followed on this page's own origin: behind a proxy the server may name an address the browser
 * cannot reach, and the token must never go anywhere else.
 */
function sameOriginPath(link) {
  const url = new URL(link, location.href);
  return url.pathname + url.search;
}

const nextLinkOf = (page) => page?.nextLink ?? page?.['@odata.nextLink'];

function operationsPath(top) {
  const query = new URLSearchParams({ top: String(top) });
  if (ui.filterStatus.value) query.set('status', ui.filterStatus.value);
  const user = ui.filterUser.value.trim();
  if (user) query.set('user', user);
  return `/admin/operations?${query}`;
}

function statisticsPath() {
  const [bucket, buckets] = ui.chartRange.value.split('x');
  return `/admin/statistics?${new URLSearchParams({ bucket, buckets })}`;
}

/** The first `rowsWanted` rows under the current filter, through as many pages as that takes. */
async function loadOperations(signal) {
  const rows = [];
  let path = operationsPath(Math.min(MAX_TOP, state.rowsWanted));
  let next;
  do {
    const page = await getJson(path, signal);
    rows.push(...(page?.value ?? []));
    next = nextLinkOf(page);
    if (next) path = sameOriginPath(next);
  } while (next && rows.length < state.rowsWanted);
  return { rows, next };
}

// --- The live refresh ------------------------------------------------------------------------------------

/**
 * One refresh at a time: a newer one (a filter change, "Load more", the timer) aborts the one in flight, so
 * an older answer never overwrites a newer one. `more` appends the page after the last one shown.
 */
async function refresh({ more = false } = {}) {
  if (!state.token) return;
  clearTimeout(state.timer);
  state.controller?.abort();
  const controller = (state.controller = new AbortController());
  const { signal } = controller;
  try {
    if (more && state.nextLink) {
      const page = await getJson(sameOriginPath(state.nextLink), signal);
      state.rows = state.rows.concat(page?.value ?? []);
      state.nextLink = nextLinkOf(page);
      state.rowsWanted = Math.max(state.rowsWanted, state.rows.length);
      ui.dashboard.hidden = false;
      renderOperations();
    } else {
      const [operations, statistics] = await Promise.all([loadOperations(signal), getJson(statisticsPath(), signal)]);
      state.rows = operations.rows;
      state.nextLink = operations.next;
      ui.dashboard.hidden = false; // first, so that the chart is drawn at the width it is shown
      renderOperations();
      renderStatistics(statistics);
    }
    setStatus(`Live: refreshed every ${REFRESH_MS / 1000} s.`);
    showUpdated(new Date());
  } catch (error) {
    if (signal.aborted) return;
    if (error instanceof AuthError) {
      if (error.status === 403) {
        signOut(
          'This token does not carry the GraphLro.Admin permission (a delegated scope or an app role). Sign in with an admin token.',
          'error',
          'Forbidden: not an admin token.',
        );
      } else {
        signOut(
          'The token was refused: it is missing, expired or not valid for this server. Sign in with a fresh admin token.',
          'error',
          'Not signed in: the token was refused.',
        );
      }
      return;
    }
    setStatus(`Could not refresh: ${error.message}. Retrying…`, 'error');
  } finally {
    if (state.controller === controller) {
      state.controller = undefined;
      schedule();
    }
  }
}

/** Paused while the tab is hidden: nobody is looking, and the server has better things to do. */
function schedule() {
  clearTimeout(state.timer);
  if (state.token && !document.hidden) state.timer = setTimeout(() => void refresh(), REFRESH_MS);
}

function reloadFromFirstPage() {
  state.rowsWanted = PAGE_SIZE;
  void refresh();
}

// --- Rendering -------------------------------------------------------------------------------------------

function setStatus(text, kind = 'info') {
  // Only a change is announced: the live region would otherwise read the same words every refresh.
  if (ui.statusLine.textContent !== text) ui.statusLine.textContent = text;
  ui.statusLine.dataset.kind = kind;
}

/** Outside the live region: a time that changes on every refresh would be read out every 2 s. */
function showUpdated(at) {
  ui.updated.dateTime = at.toISOString();
  ui.updated.textContent = `updated ${at.toLocaleTimeString()}`;
}

function element(tag, { className, text, attributes } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes ?? {})) node.setAttribute(name, value);
  return node;
}

/** A class name from a status the server sent, only when it is one we know. */
const statusClass = (status) => (STATUSES.includes(status) ? `status-${status}` : 'status-other');

function statusBadge(status) {
  return element('span', { className: `badge ${statusClass(status)}`, text: String(status) });
}

function cell(content, className) {
  const td = element('td', { className });
  if (content === null || content === undefined || content === '') td.append(element('span', { className: 'none', text: '—' }));
  else if (content instanceof Node) td.append(content);
  else td.textContent = String(content);
  return td;
}

/** Written as the server sent it (UTC, to the second): exact, and the same for every admin looking. */
function dateTime(iso) {
  if (typeof iso !== 'string') return null;
  return element('time', { text: iso.slice(0, 19).replace('T', ' '), attributes: { datetime: iso, title: iso } });
}

function userButton(operation) {
  const label = operation.userPrincipalName || operation.userId;
  const button = element('button', {
    className: 'link',
    text: label,
    attributes: { type: 'button', title: `Show only ${label}'s operations (object id ${operation.userId})` },
  });
  button.addEventListener('click', () => {
    ui.filterUser.value = operation.userId;
    reloadFromFirstPage();
  });
  return button;
}

function renderOperations() {
  ui.empty.hidden = state.rows.length > 0;
  ui.loadMore.hidden = !state.nextLink;
  const drawn = JSON.stringify(state.rows);
  if (drawn === state.drawnRows) return;
  state.drawnRows = drawn;
  const rows = state.rows.map((operation) => {
    const tr = document.createElement('tr');
    tr.dataset.id = operation.id;
    tr.dataset.status = operation.status;
    tr.append(
      cell(userButton(operation), 'user'),
      cell(statusBadge(operation.status), 'status'),
      cell(operation.statusDetail, 'detail'),
      cell(dateTime(operation.createdDateTime), 'date'),
      cell(dateTime(operation.lastActionDateTime), 'date'),
      cell(operation.id, 'mono'),
      cell(operation.resourceLocation, 'mono wrap'),
    );
    return tr;
  });
  ui.rows.replaceChildren(...rows);
}

function renderStatistics(statistics) {
  const drawn = JSON.stringify([statistics, ui.chartRange.value, ui.chart.clientWidth]);
  if (drawn === state.drawnStats) return;
  state.drawnStats = drawn;
  state.statistics = statistics;
  const byStatus = statistics?.byStatus ?? {};
  const timeline = Array.isArray(statistics?.timeline) ? statistics.timeline : [];
  const shown = STATUSES.filter((s) => s !== SENTINEL || Number(byStatus[s]) > 0 || timeline.some((b) => Number(b[s]) > 0));
  renderTotals(byStatus, shown);
  renderLegend(shown);
  renderChart(timeline, shown);
}

function renderTotals(byStatus, shown) {
  const count = (status) => Number(byStatus[status]) || 0;
  const total = shown.reduce((sum, status) => sum + count(status), 0);
  const item = (label, value, className) => {
    const li = element('li', { className });
    li.append(element('span', { className: 'count', text: value.toLocaleString() }), element('span', { className: 'label', text: label }));
    return li;
  };
  ui.totals.replaceChildren(item('all', total, 'total'), ...shown.map((status) => item(status, count(status), statusClass(status))));
}

function renderLegend(shown) {
  ui.legend.replaceChildren(
    ...shown.map((status) => {
      const li = element('li');
      li.append(element('span', { className: `swatch ${statusClass(status)}`, attributes: { 'aria-hidden': 'true' } }), status);
      return li;
    }),
  );
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 1, 2 or 5 times a power of ten, at least `value`: axis steps people read at a glance. */
function niceStep(value) {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= value);
}

/** Bucket starts in UTC, like the table: the time of day, or the date for buckets of a day or more. */
function bucketLabel(iso) {
  const [bucket] = ui.chartRange.value.split('x');
  return Number(bucket) >= 86400 ? iso.slice(5, 10) : iso.slice(11, 16);
}

function renderChart(timeline, shown) {
  // Drawn at the size it is shown, so that its text is the page's size and never scaled.
  const width = Math.max(320, Math.round(ui.chart.clientWidth || 720));
  const height = 240;
  const pad = { left: 36, right: 8, top: 10, bottom: 26 };
  const plotWidth = width - pad.left - pad.right;
  const plotHeight = height - pad.top - pad.bottom;
  const totals = timeline.map((bucket) => shown.reduce((sum, status) => sum + (Number(bucket[status]) || 0), 0));
  const created = totals.reduce((a, b) => a + b, 0);
  const highest = Math.max(...totals, 1);
  const step = niceStep(highest / 5);
  const top = Math.ceil(highest / step) * step;
  const y = (n) => pad.top + plotHeight - (n / top) * plotHeight;

  const range = ui.chartRange.selectedOptions[0]?.textContent ?? '';
  const summary = shown
    .map((status) => `${timeline.reduce((sum, bucket) => sum + (Number(bucket[status]) || 0), 0)} ${status}`)
    .join(', ');
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `${created} operations created, ${range.toLowerCase()}: ${summary}.`,
    class: 'chart-svg',
  });

  for (let tick = 0; tick <= top; tick += step) {
    chart.append(
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: tick === 0 ? 'axis' : 'grid' }),
      svg('text', { x: pad.left - 6, y: y(tick) + 4, class: 'tick', 'text-anchor': 'end' }, String(tick)),
    );
  }

  const slot = plotWidth / Math.max(timeline.length, 1);
  const barWidth = Math.max(1, slot * 0.72);
  const labelEvery = Math.ceil(timeline.length / 8);
  timeline.forEach((bucket, i) => {
    const x = pad.left + i * slot + (slot - barWidth) / 2;
    const start = typeof bucket.start === 'string' ? bucket.start : '';
    let base = 0;
    for (const status of shown) {
      const n = Number(bucket[status]) || 0;
      if (n === 0) continue;
      const rect = svg('rect', { x, y: y(base + n), width: barWidth, height: y(base) - y(base + n), class: `bar ${statusClass(status)}` });
      rect.append(svg('title', {}, `${start.slice(0, 16).replace('T', ' ')} UTC: ${n} ${status}`));
      chart.append(rect);
      base += n;
    }
    if (i % labelEvery === 0 && start) {
      chart.append(svg('text', { x: x + barWidth / 2, y: height - 8, class: 'tick', 'text-anchor': 'middle' }, bucketLabel(start)));
    }
  });

  if (created === 0) {
    chart.append(svg('text', { x: pad.left + plotWidth / 2, y: pad.top + plotHeight / 2, class: 'no-data', 'text-anchor': 'middle' }, 'No operations created in this period'));
  }
  ui.chart.replaceChildren(chart);
}

// --- Wiring ----------------------------------------------------------------------------------------------

ui.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.tokenInput.value.trim();
  ui.tokenInput.value = '';
  if (token) signIn(token);
});

ui.signOut.addEventListener('click', () => signOut('Signed out. The token is gone from this tab.'));

ui.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(state.filterTimer);
  reloadFromFirstPage();
});
ui.filterStatus.addEventListener('change', reloadFromFirstPage);
ui.filterUser.addEventListener('input', () => {
  clearTimeout(state.filterTimer);
  state.filterTimer = setTimeout(reloadFromFirstPage, FILTER_DELAY_MS);
});
ui.filterClear.addEventListener('click', () => {
  ui.filterStatus.value = '';
  ui.filterUser.value = '';
  reloadFromFirstPage();
});
ui.chartRange.addEventListener('change', () => void refresh());
ui.loadMore.addEventListener('click', () => void refresh({ more: true }));
window.addEventListener('resize', () => {
  if (state.statistics && !ui.dashboard.hidden) renderStatistics(state.statistics);
});

document.addEventListener('visibilitychange', () => {
  if (document.hidden) clearTimeout(state.timer);
  else void refresh();
});

// A second link pasted into this tab brings its token.
window.addEventListener('hashchange', () => {
  const token = takeToken();
  if (token && token !== state.token) signIn(token);
});

const initial = takeToken();
if (initial) signIn(initial);
else signOut('Sign in with an access token that carries the GraphLro.Admin permission to see operations.');
