// jsdom has no layout: give the virtual list (virtua) a 800×600 viewport
// through a ResizeObserver that reports that size, and Element.scrollTo.
// Imported by the tests that render a MessageList.

class FixedSizeObserver {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    queueMicrotask(() =>
      this.callback(
        [{ target, contentRect: { width: 800, height: 600 } } as unknown as ResizeObserverEntry],
        this as unknown as ResizeObserver,
      ),
    );
  }
  unobserve() {}
  disconnect() {}
}

if (typeof globalThis.ResizeObserver === "undefined") {
  globalThis.ResizeObserver = FixedSizeObserver as unknown as typeof ResizeObserver;
}
if (typeof Element.prototype.scrollTo !== "function") {
  Element.prototype.scrollTo = function (this: Element, opts?: ScrollToOptions | number) {
    if (typeof opts === "object" && opts && typeof opts.top === "number") {
      this.scrollTop = opts.top;
      this.dispatchEvent(new Event("scroll"));
    }
  } as Element["scrollTo"];
}

export {};
