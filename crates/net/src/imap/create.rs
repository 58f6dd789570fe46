//! CREATE: make a folder, with its name encoded as modified UTF-7.

use super::{ImapSession, error_map, timed};
use crate::{NetError, mutf7, validate};

impl ImapSession {
    /// Creates the folder `name` (Unicode; hierarchy with the server's delimiter).
    pub async fn create_folder(&mut self, name: &str) -> Result<(), NetError> {
        // Validate the name as given: encoding would hide a CR or LF in base64.
        validate::validate_argument("folder name", name)?;
        let wire = validate::quoted("folder name", &mutf7::encode(name))?;
        if name.is_empty() {
            return Err(NetError::InvalidArgument {
                what: "folder name",
                reason: "is empty",
            });
        }
        let limits = self.limits;
        timed(limits, "creating a folder", async {
            self.session
                .run_command_and_check_ok(format!("CREATE {wire}"))
                .await
                .map_err(|e| error_map::imap_error("CREATE", limits, e))
        })
        .await
    }
}
