//! Checks on every argument before it reaches the wire, and IMAP quoting.

use crate::NetError;

/// Refuses strings that could break out of an IMAP command: CR, LF and NUL.
///
/// This runs before anything is sent, so a hostile folder name or user name
/// can never inject a second command.
pub fn validate_argument(what: &'static str, value: &str) -> Result<(), NetError> {
    if value.contains(['\r', '\n']) {
        return Err(NetError::InvalidArgument {
            what,
            reason: "contains a line break (CR or LF)",
        });
    }
    if value.contains('\0') {
        return Err(NetError::InvalidArgument {
            what,
            reason: "contains a NUL character",
        });
    }
    Ok(())
}

/// Validates `value` and returns it as an IMAP quoted string.
pub(crate) fn quoted(what: &'static str, value: &str) -> Result<String, NetError> {
    validate_argument(what, value)?;
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_cr_lf_and_nul() {
        for bad in ["a\rb", "a\nb", "x\r\n1 LOGOUT", "nul\0"] {
            assert!(
                matches!(
                    validate_argument("folder name", bad),
                    Err(NetError::InvalidArgument { .. })
                ),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn quotes_and_escapes() -> Result<(), NetError> {
        assert_eq!(quoted("x", r#"a"b\c"#)?, r#""a\"b\\c""#);
        assert_eq!(quoted("x", "INBOX")?, "\"INBOX\"");
        Ok(())
    }
}
