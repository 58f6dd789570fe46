import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import LinkPrompt from "./LinkPrompt.svelte";

describe("LinkPrompt", () => {
  it("shows the exact target and opens it only on confirmation", async () => {
    const opened: string[] = [];
    let closed = 0;
    const url = "https://example.com/a/very/long/path?with=query&and#fragment";
    render(LinkPrompt, {
      props: { url, openLink: async (u: string) => void opened.push(u), onclose: () => closed++ },
    });
    const dialog = screen.getByTestId("link-prompt");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(screen.getByTestId("link-target").textContent).toBe(url);
    expect(screen.getByTestId("link-host").textContent).toBe("example.com");
    expect(screen.queryAllByTestId("link-warning")).toHaveLength(0);
    // The safe button has the focus.
    expect(document.activeElement).toBe(screen.getByTestId("link-cancel"));
    expect(opened).toEqual([]);
    await fireEvent.click(screen.getByTestId("link-open"));
    expect(opened).toEqual([url]);
    expect(closed).toBe(1);
  });

  it("never opens on Cancel or Escape", async () => {
    const opened: string[] = [];
    let closed = 0;
    render(LinkPrompt, {
      props: { url: "https://example.com/", openLink: async (u: string) => void opened.push(u), onclose: () => closed++ },
    });
    await fireEvent.click(screen.getByTestId("link-cancel"));
    await fireEvent.keyDown(screen.getByTestId("link-prompt"), { key: "Escape" });
    expect(closed).toBe(2);
    expect(opened).toEqual([]);
  });

  it("warns about an IP address or punycode host", () => {
    render(LinkPrompt, { props: { url: "http://203.0.113.9/login", openLink: async () => {}, onclose: () => {} } });
    expect(screen.getAllByTestId("link-warning").map((w) => w.textContent).join(" ")).toMatch(/IP address/);
  });

  it("warns about punycode, shows the raw address as given", () => {
    const url = "https://xn--80ak6aa92e.com/";
    render(LinkPrompt, { props: { url, openLink: async () => {}, onclose: () => {} } });
    expect(screen.getByTestId("link-target").textContent).toBe(url);
    expect(screen.getAllByTestId("link-warning").map((w) => w.textContent).join(" ")).toMatch(/punycode \(xn--\)/);
  });

  it("copies the address, and refuses what cannot be opened", async () => {
    const copied: string[] = [];
    render(LinkPrompt, {
      props: {
        url: "javascript:alert(1)",
        openLink: async () => {},
        copy: async (t: string) => void copied.push(t),
        onclose: () => {},
      },
    });
    expect((screen.getByTestId("link-open") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId("link-copy"));
    expect(copied).toEqual(["javascript:alert(1)"]);
    expect(await screen.findByTestId("link-copied")).toBeTruthy();
  });

  it("shows why the link could not be opened", async () => {
    render(LinkPrompt, {
      props: {
        url: "https://example.com/",
        openLink: async () => { throw { code: "bad_request", message: "only http(s) and mailto links open" }; },
        onclose: () => {},
      },
    });
    await fireEvent.click(screen.getByTestId("link-open"));
    expect((await screen.findByTestId("link-error")).textContent).toBe("only http(s) and mailto links open");
  });
});
