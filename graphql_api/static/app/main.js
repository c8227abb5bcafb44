// The planners' pages: a client of kho's GraphQL API (open data unless a key is signed in),
// with the selection in the URL. Plain ES modules, no build step, nothing from the internet.

import { gql, session } from './api.js';
import { h, link, notFound, replace } from './dom.js';
import { dateTime, followLink, lang, setLang, t, translateShell } from './i18n.js';
import { publishedAt, viewer } from './meta.js';
import { go, href, onChange, params } from './state.js';
import { EnterprisePage } from './views/enterprise.js';
import { EnterprisesPage } from './views/enterprises.js';
import { IssuesPage } from './views/issues.js';
import { LandPage } from './views/land.js';
import { OverviewPage } from './views/overview.js';
import { ParcelPage } from './views/parcel.js';

const VIEWS = {
  overview: OverviewPage,
  land: LandPage,
  parcel: ParcelPage,
  enterprises: EnterprisesPage,
  enterprise: EnterprisePage,
  issues: IssuesPage,
};
// A link to a page kho does not have: said, with the way to the overview.
class UnknownPage {
  constructor(container) {
    this.container = container;
  }

  leave() {}

  update(values) {
    document.title = 'kho';
    replace(this.container, notFound(t('view.unknown', { view: values.view })),
      h('p', null, link(href({ view: 'overview' }), t('nav.overview'))));
  }
}

// The page a link names: one of VIEWS (its own keys only: view=constructor is no page),
// the overview when it names none, else UnknownPage.
function viewOf(values) {
  if (!values.view) return 'overview';
  return Object.hasOwn(VIEWS, values.view) ? values.view : 'unknown';
}

// The section of the navigation each page belongs to.
const SECTION = { parcel: 'land', enterprise: 'enterprises' };

let active = null;

function render(values) {
  followLink();
  translateShell();
  showWho();
  showDataAsOf();
  showSource();
  const name = viewOf(values);
  const section = SECTION[name] ?? name;
  for (const item of document.querySelectorAll('nav a[data-view]')) {
    item.classList.toggle('active', item.dataset.view === section);
    if (item.dataset.view === section) item.setAttribute('aria-current', 'page');
    else item.removeAttribute('aria-current');
  }
  if (active && active.name === name && active.lang === lang()) {
    active.page.update(values);
    return;
  }
  active?.page.leave();
  const container = document.getElementById('view');
  replace(container);
  const page = new (name === 'unknown' ? UnknownPage : VIEWS[name])(container);
  active = { name, page, lang: lang() };
  page.update(values);
}

// Start the page afresh (the key or the language changed).
function rerender() {
  active?.page.leave();
  active = null;
  render(params());
}

// The signed-in agency by its name, as the API knows the key's client; until the API has
// answered, or if it cannot, the key's public prefix.
async function showWho() {
  const who = document.getElementById('who');
  const key = session.key;
  who.textContent = key ? t('signin.as', { name: `${key.slice(0, 16)}…` }) : t('signin.anonymous');
  who.dataset.signedIn = key ? 'yes' : 'no';
  document.getElementById('signin-button').textContent = key ? t('signin.change')
    : t('signin.open');
  if (!key) return;
  let client;
  try {
    client = await viewer();
  } catch {
    return;
  }
  if (session.key !== key || !client?.client) return;
  who.textContent = t('signin.as', { name: client.agency || client.client });
  who.title = t('signin.client', { client: client.client });
}

// When the data on every page was last published, in the footer.
async function showDataAsOf() {
  const element = document.getElementById('data-as-of');
  let at;
  try {
    at = await publishedAt();
  } catch {
    at = null;
  }
  element.textContent = at ? t('footer.asOf', { at: dateTime(at) }) : '';
  if (at) element.dataset.publishedAt = at;
}

function banner(text) {
  const element = document.getElementById('banner');
  element.textContent = text ?? '';
  element.hidden = !text;
}

// Signing in checks the key with a request of its own, so a refused key is said at once.
async function signIn(dialog) {
  const form = dialog.querySelector('form');
  const error = dialog.querySelector('[data-testid=signin-error]');
  const [previousKey, previousPurpose] = [session.key, session.purpose];
  session.signIn(form.key.value, form.purpose.value);
  try {
    await gql('query SignIn { __typename }');
  } catch (refused) {
    if (previousKey) session.signIn(previousKey, previousPurpose); else session.signOut();
    error.textContent = t('signin.rejected', { message: refused.message });
    error.hidden = false;
    return false;
  }
  error.hidden = true;
  return true;
}

function setUpSignIn() {
  const dialog = document.getElementById('signin');
  const form = dialog.querySelector('form');
  const done = () => {
    dialog.close();
    banner(null);
    showWho();
    rerender();
  };
  document.getElementById('signin-button').addEventListener('click', () => {
    // The key is never shown again, not even to whoever sits at the screen next.
    form.key.value = '';
    form.purpose.value = session.purpose;
    dialog.querySelector('[data-testid=signin-error]').hidden = true;
    dialog.showModal();
  });
  dialog.querySelector('[data-action=cancel]').addEventListener('click', () => dialog.close());
  dialog.querySelector('[data-action=signout]').addEventListener('click', () => {
    session.signOut();
    done();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await signIn(dialog)) done();
  });
}

function setUpLanguage() {
  document.getElementById('lang-button').addEventListener('click', () => {
    setLang(lang() === 'vi' ? 'en' : 'vi', { remember: true });
    // The link says the language too, so that a shared link opens in it.
    history.replaceState(null, '', href(params()));
    rerender();
  });
}

// Links inside the app are followed without reloading the page.
function setUpLinks() {
  document.addEventListener('click', (event) => {
    const anchor = event.target.closest('a[data-nav]');
    if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname !== '/') return;
    event.preventDefault();
    go(Object.fromEntries(url.searchParams));
  });
  window.addEventListener('popstate', () => render(params()));
}

// A signed-in key the server stops accepting: say so, and offer to sign in again.
window.addEventListener('kho:unauthenticated', (event) => {
  banner(t('signin.expired', { message: event.detail ?? '' }));
});

// A printed page says where it comes from and when.
function showSource() {
  document.getElementById('print-source').textContent = t('print.source', {
    url: location.href, at: dateTime(new Date().toISOString()) });
}
window.addEventListener('beforeprint', showSource);

setUpSignIn();
setUpLanguage();
setUpLinks();
onChange(render);
render(params());
document.body.append(h('span', { hidden: true, 'data-testid': 'app-ready' }));
