//! The one error shape that crosses IPC: `{ code, message }`, with stable codes.

use serde::Serialize;

/// An error as the UI receives it. `code` is stable and switchable; `message`
/// is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// A stable, machine-readable code such as `no_vault_dir`.
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
}

impl CommandError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_pinned() -> Result<(), serde_json::Error> {
        let e = CommandError::new("no_vault_dir", "no home directory");
        assert_eq!(
            serde_json::to_string(&e)?,
            r#"{"code":"no_vault_dir","message":"no home directory"}"#
        );
        Ok(())
    }
}
