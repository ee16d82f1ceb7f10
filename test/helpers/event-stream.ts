// Server-sent event streams in tests (the dashboard's /_/api/events/stream and others): opened with
// fetch, read until their text matches, boundedly, and closed by aborting.
import assert from 'node:assert/strict';

/** An open stream: the text read so far. */
export interface OpenStream {
  readonly text: string;
  /** Reads until the text matches (at most 100 reads), then asserts that it does. */
  until(want: RegExp): Promise<void>;
  close(): void;
}

/** Opens the stream at url; asserts a 200. */
export async function openEventStream(url: string): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  assert.equal(res.status, 200, url);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  return {
    get text() {
      return text;
    },
    async until(want: RegExp): Promise<void> {
      for (let i = 0; i < 100 && !want.test(text); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assert.match(text, want);
    },
    close: () => abort.abort(),
  };
}
