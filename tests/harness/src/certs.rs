//! A throwaway certificate authority and a server certificate for loopback.

use std::path::Path;

use anyhow::Result;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A CA made for one test run, and the server certificate it signed
/// (valid for `localhost` and `127.0.0.1`).
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub server_cert_pem: String,
    /// The server's private key, PEM.
    pub server_key_pem: String,
}

impl TestCa {
    /// Generates a fresh CA and server certificate.
    pub fn new() -> Result<Self> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Coffer throwaway test CA");
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok(Self {
            ca_pem: ca_cert.pem(),
            server_cert_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
        })
    }

    /// Writes `tls/ca.pem`, `tls/server.pem` and `tls/server.key` under `dir`.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        let tls = dir.join("tls");
        std::fs::create_dir_all(&tls)?;
        std::fs::write(tls.join("ca.pem"), &self.ca_pem)?;
        std::fs::write(tls.join("server.pem"), &self.server_cert_pem)?;
        std::fs::write(tls.join("server.key"), &self.server_key_pem)?;
        Ok(())
    }
}
