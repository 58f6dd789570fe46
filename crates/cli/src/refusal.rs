//! A refusal the CLI itself makes (exit code 1), as opposed to a failure (2).

use coffer_engine::VaultError;

/// The user asked for something the CLI will not do as given.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The exit code for an error: 1 for refusals and user mistakes, 2 otherwise.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let refused = error
        .chain()
        .any(|e| e.is::<Refusal>() || e.is::<VaultError>());
    if refused { 1 } else { 2 }
}
