import { describe, expect, it } from "vitest";
import { render, screen, fireEvent } from "@testing-library/svelte";
import App from "./App.svelte";

describe("App", () => {
  it("shows the vault state loaded over IPC", async () => {
    const load = async () => ({
      product: "Coffer",
      vault: { dir: "/tmp/vault", state: "absent" as const, version: "9.9.9" },
    });
    render(App, { props: { load } });
    expect(await screen.findByText("No vault yet")).toBeTruthy();
    expect(screen.getByTestId("version").textContent).toBe("v9.9.9");
    expect(screen.getByTestId("vault-detail").textContent).toContain("/tmp/vault");
  });

  it("shows a command error and retries", async () => {
    let calls = 0;
    const load = async () => {
      calls += 1;
      if (calls === 1) throw { code: "no_vault_dir", message: "no home directory" };
      return { product: "Coffer", vault: { dir: "/v", state: "present" as const, version: "1" } };
    };
    render(App, { props: { load } });
    expect((await screen.findByRole("alert")).textContent).toBe("no home directory");
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("Vault found")).toBeTruthy();
    expect(calls).toBe(2);
  });
});
