//! Choosing the folders a job works on (seal, watch, audit): every selectable one, or those the user named.

use anyhow::Context as _;
use coffer_net::ImapSession;

/// The selectable folders of the account, or `wanted` after checking each
/// exists. Names are Unicode (nested ones with the server's delimiter).
pub(crate) async fn choose(
    session: &mut ImapSession,
    wanted: &[String],
) -> anyhow::Result<Vec<String>> {
    let listed = session.list_folders().await.context("listing folders")?;
    if wanted.is_empty() {
        return Ok(listed
            .into_iter()
            .filter(|f| f.selectable)
            .map(|f| f.name)
            .collect());
    }
    for name in wanted {
        if !listed.iter().any(|f| &f.name == name && f.selectable) {
            return Err(crate::refusal(
                crate::Code::BadRequest,
                format!("folder {name:?} does not exist on the server (or cannot hold messages)"),
            ));
        }
    }
    Ok(wanted.to_vec())
}
