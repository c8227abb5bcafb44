// The GraphQL client: the signed-in key and purpose (kept in this tab's session storage),
// answers with the fields the caller may not see, and coded errors.

import { saveBlob } from './dom.js';

export class ApiError extends Error {
  constructor(message, code, status, extensions = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.required = extensions.required;
    this.missing = extensions.missing;
  }
}

// A signed-in key the server stops accepting (revoked, expired) is said at once, wherever
// the request came from.
function refused(status, message) {
  if (status === 401 && session.key) {
    window.dispatchEvent(new CustomEvent('kho:unauthenticated', { detail: message }));
  }
}

// Each part of a page loads through one of these: starting a load aborts the one before,
// so a slow old answer never overwrites a newer one.
export class Latest {
  constructor() {
    this.controller = null;
  }

  start() {
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    return { signal: controller.signal, current: () => this.controller === controller };
  }

  stop() {
    this.controller?.abort();
    this.controller = null;
  }
}

export function aborted(error) {
  return error?.name === 'AbortError';
}

// An answer: its data, and the errors of the paths that failed or were withheld.
class Answer {
  constructor(data, errors) {
    this.data = data;
    this.errors = errors;
  }

  // The FORBIDDEN error at or above a path (['landParcel', 'rights']), if any.
  refusal(path) {
    const error = this.errors.find((e) => e.extensions?.code === 'FORBIDDEN' && e.path
      && e.path.length <= path.length && e.path.every((part, i) => part === path[i]));
    return error ? toError(error) : null;
  }

  // The first FORBIDDEN error inside a path (a holder's name within the rights listed).
  refusalWithin(path) {
    const error = this.errors.find((e) => e.extensions?.code === 'FORBIDDEN' && e.path
      && e.path.length > path.length && path.every((part, i) => part === e.path[i]));
    return error ? toError(error) : null;
  }

  // A root field's value; its error (NOT_FOUND, BAD_USER_INPUT, ...) if it failed.
  field(name) {
    const error = this.errors.find((e) => e.path?.[0] === name && e.path.length === 1);
    if (error && this.data?.[name] == null) throw toError(error);
    return this.data?.[name];
  }
}

function toError(error) {
  return new ApiError(error.message, error.extensions?.code ?? 'INTERNAL', null,
    error.extensions ?? {});
}

export const session = {
  get key() { return sessionStorage.getItem('kho.key') || ''; },
  get purpose() { return sessionStorage.getItem('kho.purpose') || ''; },
  signIn(key, purpose) {
    sessionStorage.setItem('kho.key', key.trim());
    sessionStorage.setItem('kho.purpose', purpose.trim());
  },
  signOut() {
    sessionStorage.removeItem('kho.key');
    sessionStorage.removeItem('kho.purpose');
  },
};

// Header values travel as bytes: a Vietnamese purpose goes as its UTF-8 bytes, which the
// server decodes.
function utf8Bytes(text) {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function headers() {
  const result = {};
  if (session.key) result.Authorization = `Bearer ${session.key}`;
  if (session.purpose) result['X-Purpose'] = utf8Bytes(session.purpose);
  return result;
}

export async function gql(query, variables = {}, { signal } = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers() },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (aborted(error)) throw error;
    throw new ApiError(error.message, 'NETWORK');
  }
  return answerOf(response);
}

async function answerOf(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status}`, `HTTP_${response.status}`, response.status);
  }
  if (body.data == null) {
    const error = body.errors?.[0];
    refused(response.status, error?.message);
    throw new ApiError(error?.message ?? `HTTP ${response.status}`,
      error?.extensions?.code ?? 'INTERNAL', response.status, error?.extensions ?? {});
  }
  return new Answer(body.data, body.errors ?? []);
}

// An open-data download (JSON), with the same key; refusals come as coded errors.
export async function download(path, { signal } = {}) {
  return (await fetchDownload(path, { signal })).json();
}

// An open-data download saved as a file under a name of the page's choosing (the CSV a
// spreadsheet opens: the server's bytes with a byte-order mark, so that it reads UTF-8).
export async function saveFile(path, filename) {
  const response = await fetchDownload(path);
  const blob = await response.blob();
  saveBlob(filename.endsWith('.csv') ? new Blob(['\ufeff', blob], { type: blob.type }) : blob,
    filename);
}

async function fetchDownload(path, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: headers(), signal });
  } catch (error) {
    if (aborted(error)) throw error;
    throw new ApiError(error.message, 'NETWORK');
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const error = body.errors?.[0];
    refused(response.status, error?.message);
    throw new ApiError(error?.message ?? `HTTP ${response.status}`,
      error?.extensions?.code ?? `HTTP_${response.status}`, response.status);
  }
  return response;
}
