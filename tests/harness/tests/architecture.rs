//! The architecture invariants hold on the real workspace, and the checker
//! does catch a broken one.

use std::collections::BTreeSet;
use std::path::Path;

use coffer_harness::architecture::{
    BARE_EXPUNGE_CALLERS, DependencyGraph, EXPUNGE_CALLERS, PRODUCT_CRATES,
    bare_expunge_violations, core_source_violations, expunge_violations,
};

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("workspace root")
}

#[test]
fn the_workspace_keeps_its_boundaries() -> anyhow::Result<()> {
    let graph = DependencyGraph::load(workspace_root())?;
    for &krate in PRODUCT_CRATES {
        assert!(
            graph.direct.contains_key(krate),
            "{krate} missing from the graph"
        );
    }
    // Sanity: the graph is real, so the rules below are not vacuous.
    assert!(graph.transitive["coffer-app"].contains("tauri"));
    assert!(graph.direct["coffer-net"].contains("async-imap"));
    let violations = graph.violations();
    assert!(
        violations.is_empty(),
        "architecture invariants broken:\n{}",
        violations.join("\n")
    );
    Ok(())
}

#[test]
fn core_sources_do_no_io() -> anyhow::Result<()> {
    let v = core_source_violations(&workspace_root().join("crates/core/src"))?;
    assert!(
        v.is_empty(),
        "coffer-core must not do I/O:\n{}",
        v.join("\n")
    );
    Ok(())
}

#[test]
fn the_checker_reports_each_kind_of_violation() {
    let mut graph = DependencyGraph::default();
    let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    graph.direct.insert("coffer-core".into(), set(&[]));
    graph
        .transitive
        .insert("coffer-core".into(), set(&["tokio"]));
    graph
        .direct
        .insert("coffer-engine".into(), set(&["rusqlite", "async-imap"]));
    graph
        .transitive
        .insert("coffer-engine".into(), set(&["tauri"]));
    let v = graph.violations().join("\n");
    assert!(v.contains("coffer-core pulls in tokio"), "{v}");
    assert!(v.contains("coffer-engine depends on tauri"), "{v}");
    assert!(v.contains("coffer-engine depends on rusqlite"), "{v}");
    assert!(v.contains("coffer-engine depends on async-imap"), "{v}");
}

#[test]
fn the_source_scan_catches_file_access_in_core() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("bad.rs"),
        "fn f() { let _ = std::fs::read(\"x\"); }\n// std::net in a comment is fine\n",
    )?;
    let v = core_source_violations(dir.path())?;
    assert_eq!(v.len(), 1, "{v:?}");
    Ok(())
}

#[test]
fn only_the_allowed_modules_expunge() -> anyhow::Result<()> {
    let v = expunge_violations(workspace_root(), EXPUNGE_CALLERS)?;
    assert!(v.is_empty(), "{}", v.join("\n"));
    // Not vacuous: each listed module does expunge, and without its entry
    // it is reported.
    let v = expunge_violations(workspace_root(), &[])?;
    assert_eq!(v.len(), EXPUNGE_CALLERS.len(), "{v:?}");
    for (file, _) in EXPUNGE_CALLERS {
        let prefix = format!("{file}:");
        assert!(
            v.iter().any(|line| line.starts_with(&prefix)),
            "{file}: {v:?}"
        );
    }
    Ok(())
}

#[test]
fn only_the_purge_of_coffers_own_folder_sends_a_bare_expunge() -> anyhow::Result<()> {
    let v = bare_expunge_violations(workspace_root(), BARE_EXPUNGE_CALLERS)?;
    assert!(v.is_empty(), "{}", v.join("\n"));
    let v = bare_expunge_violations(workspace_root(), &[])?;
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("crates/engine/src/seal/purge.rs:"),
        "{v:?}"
    );
    // The UID EXPUNGE callers may not send a bare one.
    let v = bare_expunge_violations(workspace_root(), EXPUNGE_CALLERS)?;
    assert_eq!(v.len(), 1, "{v:?}");
    Ok(())
}

#[test]
fn the_expunge_scan_catches_a_new_caller() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let src = root.path().join("crates/engine/src");
    std::fs::create_dir_all(&src)?;
    std::fs::write(
        src.join("cleanup.rs"),
        "// uid_expunge in a comment is fine\nasync fn f(s: &mut S) { s.uid_expunge_many(&[1]).await; }\n",
    )?;
    let v = expunge_violations(root.path(), EXPUNGE_CALLERS)?;
    assert_eq!(
        v,
        vec!["crates/engine/src/cleanup.rs:2: expunges, but is not in EXPUNGE_CALLERS".to_owned()]
    );
    Ok(())
}

#[test]
fn the_ui_frames_mail_only_in_a_full_sandbox() -> anyhow::Result<()> {
    let v = coffer_harness::architecture::ui_source_violations(&workspace_root().join("ui/src"))?;
    assert!(v.is_empty(), "{}", v.join("\n"));
    // The check itself catches each kind.
    let tmp = tempfile::tempdir()?;
    std::fs::write(
        tmp.path().join("Bad.svelte"),
        "<!-- {@html} in a comment is fine -->\n<iframe sandbox=\"allow-scripts\" srcdoc={x}></iframe>\n\
         <iframe sandbox=\"\" src=\"https://x\"></iframe>\n<div>{@html mail}</div>\n\
         <iframe sandbox=\"\" srcdoc={ok}></iframe>",
    )?;
    let v = coffer_harness::architecture::ui_source_violations(tmp.path())?;
    assert_eq!(v.len(), 3, "{v:#?}");
    Ok(())
}
