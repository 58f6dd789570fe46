//! Exporting the vault's age identity in age's own identity-file format.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use coffer_core::{ExposeSecret as _, SecretString};

use super::Vault;
use crate::files::{self, Replace};

impl Vault {
    /// The identity as `age-keygen` writes it, so `age -d -i FILE` reads it:
    ///
    /// ```text
    /// # created: 2025-01-31T12:00:00Z
    /// # public key: age1…
    /// AGE-SECRET-KEY-1…
    /// ```
    pub fn identity_file(&self) -> SecretString {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        SecretString::from(format!(
            "# created: {}\n# public key: {}\n{}\n",
            rfc3339_utc(now),
            self.keys.recipient(),
            self.export_identity().expose_secret()
        ))
    }

    /// Writes [`identity_file`](Self::identity_file) to `path` with mode
    /// 0600. Refuses to replace an existing file: it might be another
    /// identity, and losing one loses the mail sealed to it.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub fn export_identity_to(&self, path: &Path) -> anyhow::Result<()> {
        let text = self.identity_file();
        files::write_private(path, text.expose_secret().as_bytes(), Replace::Never)?;
        tracing::info!("identity exported");
        Ok(())
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (days-to-civil from Howard
/// Hinnant's date algorithms; no date crate needed for one line).
fn rfc3339_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(1_709_208_000), "2024-02-29T12:00:00Z");
    }
}
