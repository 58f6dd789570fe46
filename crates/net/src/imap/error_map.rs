//! Turns async-imap's errors into [`NetError`]s that say what happened.

use crate::stream::BudgetExceeded;
use crate::{Limits, NetError};

/// Maps an async-imap error raised while running `command`.
pub(crate) fn imap_error(
    command: &'static str,
    limits: Limits,
    error: async_imap::error::Error,
) -> NetError {
    use async_imap::error::Error;
    match error {
        Error::Io(io) => io_error(limits, io),
        Error::No(reason) | Error::Bad(reason) => NetError::Refused { command, reason },
        Error::ConnectionLost => NetError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )),
        Error::Validate(v) => NetError::InvalidArgument {
            what: "argument",
            reason: if v.0 == '\0' {
                "contains a NUL character"
            } else {
                "contains a line break (CR or LF)"
            },
        },
        other => NetError::Protocol(other.to_string()),
    }
}

/// Maps an I/O error, recognising our own response budget.
pub(crate) fn io_error(limits: Limits, error: std::io::Error) -> NetError {
    let over_budget = error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<BudgetExceeded>().is_some());
    if over_budget {
        NetError::ResponseTooLarge {
            limit: limits.max_response_bytes,
        }
    } else {
        NetError::Io(error)
    }
}
