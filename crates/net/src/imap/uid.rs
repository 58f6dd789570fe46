//! UIDs as arguments: refusing 0, which no message has, before it reaches the wire.

use crate::NetError;

/// Refuses UID 0: UIDs start at 1, and a server could read 0 in a set oddly.
pub(super) fn check(uid: u32) -> Result<(), NetError> {
    if uid == 0 {
        return Err(NetError::InvalidArgument {
            what: "UID",
            reason: "is 0; UIDs start at 1",
        });
    }
    Ok(())
}
