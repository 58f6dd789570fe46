//! The one error shape that crosses IPC: `{ code, message }`, with the
//! engine's stable codes ([`Code`]); the UI's TypeScript union
//! (`ui/src/lib/api.ts`) lists the same strings.

use coffer_engine::{Code, code_of, message_of};
use serde::Serialize;

/// An error as the UI receives it. `code` is stable and switchable; `message`
/// is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// A stable, machine-readable code such as `account_busy`.
    pub code: Code,
    /// A human-readable explanation.
    pub message: String,
}

impl CommandError {
    /// An error with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Every engine error becomes `{ code, message }` here, and only here.
impl From<anyhow::Error> for CommandError {
    fn from(error: anyhow::Error) -> Self {
        Self::new(code_of(&error), message_of(&error))
    }
}

#[cfg(test)]
mod tests {
    use coffer_engine::VaultError;

    use super::*;

    #[test]
    fn json_shape_is_pinned() -> Result<(), serde_json::Error> {
        let e = CommandError::new(Code::VaultMissing, "no home directory");
        assert_eq!(
            serde_json::to_string(&e)?,
            r#"{"code":"vault_missing","message":"no home directory"}"#
        );
        Ok(())
    }

    /// The UI's `ERROR_CODES` (ui/src/lib/api.ts) must list exactly the
    /// engine's codes, in the same order.
    #[test]
    fn the_ui_knows_every_code() {
        let api = include_str!("../../ui/src/lib/api.ts");
        let start = api.find("ERROR_CODES = [").expect("ERROR_CODES in api.ts");
        let list = &api[start..];
        let list = &list[..list.find("] as const").expect("end of ERROR_CODES")];
        let ui: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
        let engine: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ui, engine);
    }

    #[test]
    fn engine_errors_keep_their_code() {
        let e: CommandError = anyhow::Error::new(VaultError::AccountBusy("work".into()))
            .context("sealing")
            .into();
        assert_eq!(e.code, Code::AccountBusy);
        assert!(e.message.starts_with("sealing: account \"work\""));
    }
}
