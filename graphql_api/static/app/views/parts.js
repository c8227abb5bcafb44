// A part of a page loaded from the API: it says that it loads, then shows the answer, or
// says what went wrong with a way to retry.

import { aborted, gql } from '../api.js';
import { failure, loading, replace } from '../dom.js';

// show(answer) runs unless a newer load of the part took over; an error of the request or
// of show (a field the answer refused) puts the failure, with retry, in the part.
export async function loadPart(latest, part, { query, variables, show, retry }) {
  const run = latest.start();
  replace(part, loading());
  try {
    const answer = await gql(query, variables, { signal: run.signal });
    if (run.current()) show(answer);
  } catch (error) {
    if (run.current() && !aborted(error)) replace(part, failure(error, retry));
  }
}
