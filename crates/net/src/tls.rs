//! The TLS client configuration: system roots plus an optional extra CA.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::NetError;

/// Builds a rustls client configuration that trusts the system's roots and,
/// when given, every certificate of the extra CA: `ca_pem` when set, else
/// the file `ca_file`.
pub(crate) fn client_config(
    ca_file: Option<&Path>,
    ca_pem: Option<&[u8]>,
) -> Result<Arc<rustls::ClientConfig>, NetError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every TLS client does;
    // the extra CA below still applies.
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        if let Err(error) = roots.add(cert) {
            tracing::debug!(%error, "skipping an unusable system root certificate");
        }
    }
    if ca_file.is_some() || ca_pem.is_some() {
        for cert in extra_ca(ca_file, ca_pem)? {
            let path = ca_file.map(Path::to_owned).unwrap_or_default();
            roots.add(cert).map_err(|e| NetError::CaFile {
                path,
                reason: e.to_string(),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Checks that `pem` (read from `path`) holds at least one certificate, as
/// an extra CA must: before it is kept in the vault. Returns how many.
pub fn check_ca_pem(path: &Path, pem: &[u8]) -> Result<usize, NetError> {
    Ok(extra_ca(Some(path), Some(pem))?.len())
}

/// The certificates of the extra CA: from `ca_pem` when given, else read
/// from `ca_file`. Refused when there are none or they do not parse.
fn extra_ca(
    ca_file: Option<&Path>,
    ca_pem: Option<&[u8]>,
) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let path = ca_file.map(Path::to_owned).unwrap_or_default();
    let ca_error = |reason: String| NetError::CaFile {
        path: path.clone(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = match (ca_pem, ca_file) {
        (Some(pem), _) => CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| ca_error(e.to_string()))?,
        (None, Some(file)) => CertificateDer::pem_file_iter(file)
            .map_err(|e| ca_error(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| ca_error(e.to_string()))?,
        (None, None) => Vec::new(),
    };
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate found".into()));
    }
    Ok(certs)
}

/// Turns an I/O error from a TLS handshake into the clearest [`NetError`].
pub(crate) fn handshake_error(error: std::io::Error) -> NetError {
    let tls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(reason)) => NetError::Certificate {
            reason: format!("{reason:?}"),
        },
        Some(other) => NetError::Tls(other.to_string()),
        None => NetError::Io(error),
    }
}
