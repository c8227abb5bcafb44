// What every page says about the data and the reader: when the data was last published
// (the catalogue's freshness) and who is signed in (the API's viewer), asked once.

import { gql, session } from './api.js';

const CATALOGUE = 'query Catalogue { datasets { name lastRefreshedAt } }';
const VIEWER = 'query Viewer { viewer { client agency grants } }';

let published = null;
const viewers = new Map();

// The time of the latest publication of the warehouse, or null if none is known.
export function publishedAt() {
  if (!published) {
    published = gql(CATALOGUE).then((answer) => {
      const times = answer.field('datasets').map((d) => d.lastRefreshedAt).filter(Boolean);
      return times.length ? times.sort().at(-1) : null;
    }).catch((error) => {
      published = null;
      throw error;
    });
  }
  return published;
}

// The signed-in client, its agency and grants, as the API sees the key (null when
// anonymous).
export function viewer() {
  const key = session.key;
  if (!key) return Promise.resolve(null);
  if (!viewers.has(key)) {
    viewers.set(key, gql(VIEWER).then((answer) => answer.field('viewer')).catch((error) => {
      viewers.delete(key);
      throw error;
    }));
  }
  return viewers.get(key);
}
