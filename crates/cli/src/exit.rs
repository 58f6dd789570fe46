//! The exit status, derived from the engine's error codes in this one place
//! (the table is in `docs/CLI.md`).

use std::process::ExitCode;

use coffer_engine::{Code, code_of, message_of};

/// How a command ended: `Ok(None)` success, `Ok(Some(code))` a result the
/// command already reported (an incomplete seal, an audit that is not
/// clean), `Err` an error not yet shown.
pub type Outcome = anyhow::Result<Option<Code>>;

/// Prints an error (once, on stderr, with its code) and turns the outcome
/// into the process's exit status: 0, or the code's
/// [`Code::exit_status`].
pub fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(code)) => ExitCode::from(code.exit_status()),
        Err(error) => {
            let code = code_of(&error);
            // Error chains carry server text (a refusal's reason, a folder name).
            eprintln!(
                "{}coffer: error: {} [{}]",
                crate::term::level(3),
                crate::term::safe_line(&message_of(&error)),
                code.as_str()
            );
            ExitCode::from(code.exit_status())
        }
    }
}
