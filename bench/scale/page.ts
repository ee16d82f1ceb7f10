// What the scale benchmark runs inside the dashboard's page (Playwright sends these functions'
// source, so they use nothing from this module): a probe installed before the page's own scripts
// that times the first rows and every input, and notes long tasks.

/** One input event (a keystroke) in the page, in ms of the page's clock. */
export interface InputSample {
  /** When the key went down (the keydown's timestamp), or the input event's when there was none. */
  start: number;
  /** From start to the first frame after the input was handled (rAF, then a task after its paint). */
  toFrame?: number;
  /** From start to the first frame after the first DOM change that followed the input. */
  toUpdate?: number;
}

/** What the probe has seen so far. */
export interface ProbeState {
  /** The first frame after a `tbody tr[data-service]` appeared, in ms from navigation start. */
  firstRows?: number;
  /** How many such rows there were then. */
  rowsAtFirst?: number;
  inputs: InputSample[];
  /** Long tasks (over 50 ms) of the main thread: [start, duration] in ms from navigation start. */
  longTasks: [number, number][];
  now: number;
}

/** The little of the DOM these functions use (the benchmark is typed for Node, not the browser). */
interface PageGlobal {
  __scaleProbe?: Omit<ProbeState, 'now'>;
  document: {
    querySelectorAll(selector: string): { length: number };
    getElementsByTagName(name: string): { length: number };
  };
  performance: { now(): number };
  requestAnimationFrame(fn: () => void): void;
  MessageChannel: new () => {
    port1: { onmessage: (() => void) | null };
    port2: { postMessage(m: unknown): void };
  };
  MutationObserver: new (fn: () => void) => { observe(target: object, options: object): void };
  PerformanceObserver: new (
    fn: (list: { getEntries(): { startTime: number; duration: number }[] }) => void,
  ) => {
    observe(options: object): void;
  };
  addEventListener(type: string, fn: (e: { timeStamp: number }) => void, capture: boolean): void;
}

/** Installs the probe; run before any of the page's scripts (Playwright's addInitScript). */
export function installProbe(): void {
  const w = globalThis as unknown as PageGlobal;
  const probe: Omit<ProbeState, 'now'> = { inputs: [], longTasks: [] };
  w.__scaleProbe = probe;
  // The frame after now: its rAF callback, then a task once its style, layout and paint are done.
  const nextFrame = (fn: (t: number) => void): void =>
    w.requestAnimationFrame(() => {
      const channel = new w.MessageChannel();
      channel.port1.onmessage = () => fn(w.performance.now());
      channel.port2.postMessage(0);
    });
  let keydown: number | undefined;
  let awaitingUpdate: InputSample | undefined;
  let awaitingRows = true;
  new w.MutationObserver(() => {
    if (awaitingRows) {
      const rows = w.document.querySelectorAll('tbody tr[data-service]').length;
      if (rows > 0) {
        awaitingRows = false;
        nextFrame((t) => {
          probe.firstRows = t;
          probe.rowsAtFirst = rows;
        });
      }
    }
    const sample = awaitingUpdate;
    if (sample) {
      awaitingUpdate = undefined;
      nextFrame((t) => (sample.toUpdate = t - sample.start));
    }
  }).observe(w.document, { childList: true, subtree: true, characterData: true, attributes: true });
  w.addEventListener('keydown', (e) => (keydown = e.timeStamp), true);
  // Capture: before the page's own handler, so that the changes it makes are seen as following.
  w.addEventListener(
    'input',
    (e) => {
      const sample: InputSample = { start: keydown ?? e.timeStamp };
      keydown = undefined;
      probe.inputs.push(sample);
      awaitingUpdate = sample;
      nextFrame((t) => (sample.toFrame = t - sample.start));
    },
    true,
  );
  try {
    new w.PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long task timing in this browser: the busy share is then not measured
  }
}

/** The probe's state, with the page's clock now. */
export function readProbe(): ProbeState {
  const w = globalThis as unknown as PageGlobal;
  const p = w.__scaleProbe ?? { inputs: [], longTasks: [] };
  return { ...p, now: w.performance.now() };
}

/** The elements in the page. */
export function domNodes(): number {
  return (globalThis as unknown as PageGlobal).document.getElementsByTagName('*').length;
}
