//! The TLS client configuration: system roots plus an optional extra CA.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::NetError;

/// Builds a rustls client configuration that trusts the system's roots and,
/// when given, every certificate in `ca_file`.
pub(crate) fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, NetError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every TLS client does;
    // the extra CA below still applies.
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        if let Err(error) = roots.add(cert) {
            tracing::debug!(%error, "skipping an unusable system root certificate");
        }
    }
    if let Some(path) = ca_file {
        let ca_error = |reason: String| NetError::CaFile {
            path: path.to_owned(),
            reason,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_error(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate found in the file".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
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
