//! The architecture invariants of `ARCHITECTURE.md`, checked on the real
//! dependency graph from `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// For each workspace crate: its direct normal dependencies and everything it
/// pulls in transitively (dev- and build-dependencies excluded).
#[derive(Debug, Default, Clone)]
pub struct DependencyGraph {
    /// crate → direct normal dependencies.
    pub direct: BTreeMap<String, BTreeSet<String>>,
    /// crate → transitive normal dependencies.
    pub transitive: BTreeMap<String, BTreeSet<String>>,
}

/// Crates that open sockets or speak a network protocol.
const NETWORK_CRATES: &[&str] = &[
    "async-imap",
    "tokio-rustls",
    "rustls",
    "lettre",
    "reqwest",
    "hyper",
    "socket2",
    "ureq",
    "zbus",
    "secret-service",
];
/// Crates that speak SQL.
const SQL_CRATES: &[&str] = &["rusqlite", "libsqlite3-sys", "sqlx", "diesel"];
/// What `core` must never pull in, even indirectly: runtimes, I/O, SQL, UI.
const CORE_FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "mio",
    "async-imap",
    "lettre",
    "rusqlite",
    "tauri",
    "rustls",
];

/// The workspace crates that ship (the test-support crate is exempt).
pub const PRODUCT_CRATES: &[&str] = &[
    "coffer-core",
    "coffer-store",
    "coffer-net",
    "coffer-engine",
    "coffer",
    "coffer-app",
];

impl DependencyGraph {
    /// Reads the graph of the workspace at `manifest_dir`.
    pub fn load(manifest_dir: &Path) -> Result<Self> {
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--format-version", "1"])
            .current_dir(manifest_dir)
            .output()
            .context("running cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let names: BTreeMap<String, String> = meta["packages"]
            .as_array()
            .context("packages")?
            .iter()
            .filter_map(|p| Some((p["id"].as_str()?.to_owned(), p["name"].as_str()?.to_owned())))
            .collect();
        let members: Vec<String> = meta["workspace_members"]
            .as_array()
            .context("workspace_members")?
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        // id → normal dependency ids
        let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for node in meta["resolve"]["nodes"].as_array().context("resolve")? {
            let id = node["id"].as_str().unwrap_or_default().to_owned();
            let deps = node["deps"]
                .as_array()
                .map(|deps| {
                    deps.iter()
                        .filter(|d| {
                            d["dep_kinds"]
                                .as_array()
                                .is_some_and(|kinds| kinds.iter().any(|k| k["kind"].is_null()))
                        })
                        .filter_map(|d| d["pkg"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            edges.insert(id, deps);
        }
        let mut graph = Self::default();
        for member in &members {
            let name = names.get(member).cloned().unwrap_or_default();
            let direct = edges
                .get(member)
                .map(|d| d.iter().filter_map(|id| names.get(id).cloned()).collect())
                .unwrap_or_default();
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&String> = edges
                .get(member)
                .map(|d| d.iter().collect())
                .unwrap_or_default();
            while let Some(id) = stack.pop() {
                if seen.insert(id.clone()) {
                    stack.extend(edges.get(id).into_iter().flatten());
                }
            }
            let transitive = seen
                .iter()
                .filter_map(|id| names.get(id).cloned())
                .collect();
            graph.direct.insert(name.clone(), direct);
            graph.transitive.insert(name, transitive);
        }
        Ok(graph)
    }

    /// Every broken invariant, as a sentence. Empty when all hold.
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (krate, deps) in &self.transitive {
            if krate != "coffer-app" && deps.contains("tauri") {
                v.push(format!(
                    "{krate} depends on tauri; only src-tauri (coffer-app) may"
                ));
            }
        }
        for (krate, deps) in &self.direct {
            if !PRODUCT_CRATES.contains(&krate.as_str()) {
                continue;
            }
            for net in NETWORK_CRATES {
                if deps.contains(*net) && krate != "coffer-net" {
                    v.push(format!(
                        "{krate} depends on {net}; only coffer-net may open sockets"
                    ));
                }
            }
            for sql in SQL_CRATES {
                if deps.contains(*sql) && krate != "coffer-store" {
                    v.push(format!(
                        "{krate} depends on {sql}; only coffer-store may touch SQL"
                    ));
                }
            }
        }
        if let Some(core) = self.transitive.get("coffer-core") {
            for bad in CORE_FORBIDDEN {
                if core.contains(*bad) {
                    v.push(format!(
                        "coffer-core pulls in {bad}; core does no I/O and has no async runtime"
                    ));
                }
            }
        } else {
            v.push("coffer-core is missing from the workspace".into());
        }
        v
    }
}

/// Source-level checks for `core`: no file system, sockets, processes or
/// runtime, even through `std`.
pub fn core_source_violations(core_src: &Path) -> Result<Vec<String>> {
    const FORBIDDEN: &[&str] = &[
        "std::fs",
        "std::net",
        "std::process",
        "tokio",
        "File::open",
        "TcpStream",
    ];
    let mut v = Vec::new();
    let mut stack = vec![core_src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)?;
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    for word in FORBIDDEN {
                        if code.contains(word) {
                            v.push(format!("{}:{}: uses {word}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
    }
    Ok(v)
}

/// The product modules allowed to expunge (`uid_expunge*`), each with the
/// reason. Removing mail from the server is the one irreversible act;
/// a feature that expunges joins this list knowingly.
pub const EXPUNGE_CALLERS: &[(&str, &str)] = &[
    (
        "crates/engine/src/seal/worker.rs",
        "the safe path removes an original only after its sealed copy was fetched back and verified",
    ),
    (
        "crates/engine/src/read/change.rs",
        "`coffer delete --now` removes the sealed copy the user chose (never a plaintext \
         original), by its own UID",
    ),
];

/// The one product module allowed to send a bare `EXPUNGE`
/// (`bare_expunge`), with the reason: it removes every `\Deleted` message
/// of the selected folder, whoever marked it.
pub const BARE_EXPUNGE_CALLERS: &[(&str, &str)] = &[(
    "crates/engine/src/seal/purge.rs",
    "on a server without UIDPLUS, in the folder Coffer owns, after proving by SHA-256 that \
     every message marked \\Deleted there is an original with a verified sealed copy",
)];

/// The product source files (outside `coffer-net`, which defines the
/// calls, and outside tests) that call `uid_expunge*` without being in
/// `allowed`, as `path:line` sentences. `root` is the workspace root.
pub fn expunge_violations(root: &Path, allowed: &[(&str, &str)]) -> Result<Vec<String>> {
    call_violations(root, "uid_expunge", "EXPUNGE_CALLERS", allowed)
}

/// As [`expunge_violations`], for the bare `EXPUNGE` (`.bare_expunge(`).
pub fn bare_expunge_violations(root: &Path, allowed: &[(&str, &str)]) -> Result<Vec<String>> {
    call_violations(root, ".bare_expunge(", "BARE_EXPUNGE_CALLERS", allowed)
}

/// The product source files that contain `needle` outside comments
/// without being in `allowed` (named `list` in the sentences).
fn call_violations(
    root: &Path,
    needle: &str,
    list: &str,
    allowed: &[(&str, &str)],
) -> Result<Vec<String>> {
    let mut v = Vec::new();
    let mut stack: Vec<_> = ["crates", "src-tauri/src"]
        .iter()
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with("crates/net") || rel.contains("/tests") || rel.contains("/benches") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs")
                || allowed.iter().any(|(file, _)| *file == rel)
            {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if code.contains(needle) {
                    v.push(format!("{rel}:{}: expunges, but is not in {list}", n + 1));
                }
            }
        }
    }
    Ok(v)
}

/// Source-level checks for the web UI (`ui/src`, `.svelte` files): every
/// `<iframe` carries `sandbox=""` (nothing allowed: no script, no same
/// origin, no forms, no popups) and never a `src`, and no markup is built
/// from strings with `{@html}`. Mail reaches the page only as a frame's
/// `srcdoc`, made safe by the engine, in a frame that cannot reach IPC.
pub fn ui_source_violations(ui_src: &Path) -> Result<Vec<String>> {
    let mut v = Vec::new();
    let mut stack = vec![ui_src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "svelte") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            // Markup only: comments (`<!-- … -->`) may mention both.
            let mut markup = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("<!--") {
                markup.push_str(rest.get(..start).unwrap_or_default());
                rest = rest
                    .get(start..)
                    .and_then(|r| r.find("-->").and_then(|e| r.get(e + 3..)))
                    .unwrap_or_default();
            }
            markup.push_str(rest);
            if markup.contains("{@html") {
                v.push(format!("{}: uses {{@html}}", path.display()));
            }
            let mut at = 0;
            while let Some(i) = markup.get(at..).and_then(|r| r.find("<iframe")) {
                let tag_start = at + i;
                let tag = markup
                    .get(tag_start..)
                    .and_then(|r| r.find('>').and_then(|e| r.get(..e)))
                    .unwrap_or_default();
                let sandboxed = tag.contains("sandbox=\"\"");
                let with_src = tag
                    .split_whitespace()
                    .any(|a| a.starts_with("src=") || a.starts_with("src:") || a == "src");
                if !sandboxed || with_src {
                    v.push(format!(
                        "{}: an <iframe> without sandbox=\"\" or with a src: {tag}",
                        path.display()
                    ));
                }
                at = tag_start + 7;
            }
        }
    }
    Ok(v)
}
