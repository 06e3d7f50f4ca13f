//! TLS to PostgreSQL, over rustls, as the URL asks with libpq's words:
//! `sslmode=disable|prefer|require|verify-ca|verify-full` and
//! `sslrootcert=FILE` (PEM; `system` or none: the public roots).
//!
//! - none or `disable`: no TLS (a server on this machine or a private network);
//! - `prefer`: TLS when the server offers it, `require`: TLS or no connection;
//!   neither checks who answers, unless `sslrootcert` names a CA (then as
//!   `verify-ca`), as libpq does;
//! - `verify-ca`: the certificate is signed by a trusted CA;
//! - `verify-full`: that, and it is for the host in the URL. Use this one.

use postgres::config::SslMode;
use postgres::{Client, NoTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the URL asks connections to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Makes connections to PostgreSQL, each the same way.
pub(super) struct Connector {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
}

impl Connector {
    /// Reads `url` (its TLS parameters here, the rest by `postgres`).
    pub(super) fn new(url: &str, shown: &str) -> Result<Connector, String> {
        let (rest, mode, root) = split(url).map_err(|e| format!("--db {shown}: {e}"))?;
        let mut config: postgres::Config =
            rest.parse().map_err(|e| format!("--db {shown}: {e}"))?;
        let tls = match mode {
            Mode::Disable => None,
            Mode::Prefer | Mode::Require | Mode::VerifyCa | Mode::VerifyFull => Some(
                client_config(mode, root.as_deref()).map_err(|e| format!("--db {shown}: {e}"))?,
            ),
        };
        config.ssl_mode(match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        Ok(Connector {
            config,
            tls: tls.map(MakeRustlsConnect::new),
        })
    }

    pub(super) fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }

    /// Whether connections are encrypted.
    pub(super) fn encrypted(&self) -> bool {
        self.tls.is_some()
    }
}

type Split = (String, Mode, Option<String>);

/// `url` without `sslmode` and `sslrootcert`, and what they said.
fn split(url: &str) -> Result<Split, String> {
    let (mut mode, mut root) = (None, None);
    let rest = match url.split_once('?') {
        Some((head, query)) if url.contains("://") => {
            let mut kept = Vec::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = percent_encoding::percent_decode_str(value)
                    .decode_utf8_lossy()
                    .into_owned();
                match key {
                    "sslmode" => {
                        mode = Some(match value.as_str() {
                            "disable" => Mode::Disable,
                            "prefer" => Mode::Prefer,
                            "require" => Mode::Require,
                            "verify-ca" => Mode::VerifyCa,
                            "verify-full" => Mode::VerifyFull,
                            other => {
                                return Err(format!(
                                    "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
                                ))
                            }
                        })
                    }
                    "sslrootcert" => root = Some(value),
                    _ => kept.push(pair),
                }
            }
            if kept.is_empty() {
                head.to_string()
            } else {
                format!("{head}?{}", kept.join("&"))
            }
        }
        _ => url.to_string(),
    };
    let mode = match (mode, &root) {
        (Some(Mode::Require), Some(_)) => Mode::VerifyCa,
        (Some(mode), _) => mode,
        (None, Some(_)) => {
            return Err("sslrootcert needs sslmode=verify-full (or verify-ca)".into())
        }
        (None, None) => Mode::Disable,
    };
    if mode == Mode::Disable && root.is_some() {
        return Err("sslrootcert with sslmode=disable".into());
    }
    Ok((rest, mode, root.filter(|r| r != "system")))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(mode: Mode, root: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let roots = || -> Result<Arc<RootCertStore>, String> {
        let mut store = RootCertStore::empty();
        match root {
            Some(file) => {
                let pem = std::fs::read(file)
                    .map_err(|e| format!("cannot read sslrootcert {file}: {e}"))?;
                let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("sslrootcert {file}: {e}"))?;
                let (added, _) = store.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("sslrootcert {file}: no certificate in it"));
                }
            }
            None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok(Arc::new(store))
    };
    let config = match mode {
        Mode::VerifyFull => builder.with_root_certificates(roots()?),
        Mode::VerifyCa => {
            let verifier = WebPkiServerVerifier::builder_with_provider(roots()?, provider())
                .build()
                .map_err(|e| e.to_string())?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyName(verifier)))
        }
        Mode::Prefer | Mode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider()))),
        Mode::Disable => unreachable!("no TLS, no TLS configuration"),
    };
    Ok(config.with_no_client_auth())
}

/// `verify-ca`: the chain is checked; the name it is for is not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a CA: encrypted, whoever answers (libpq's
/// meaning of the words); the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::{split, Mode};

    #[test]
    fn the_url_says_how_connections_are_protected() {
        let (rest, mode, root) = split(
            "postgres://billing@db.example.com:5432/billing?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=billing",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://billing@db.example.com:5432/billing?application_name=billing"
        );
        assert_eq!(
            (mode, root.as_deref()),
            (Mode::VerifyFull, Some("/etc/ca.pem"))
        );
        let (rest, mode, root) = split("postgres://b@h/db?sslmode=require").unwrap();
        assert_eq!(
            (rest.as_str(), mode, root),
            ("postgres://b@h/db", Mode::Require, None)
        );
        // libpq: require with a CA checks the chain.
        assert_eq!(
            split("postgres://h/db?sslmode=require&sslrootcert=ca.pem")
                .unwrap()
                .1,
            Mode::VerifyCa
        );
        assert_eq!(
            split("postgres://h/db?sslmode=verify-full&sslrootcert=system")
                .unwrap()
                .2,
            None
        );
        assert_eq!(split("postgres://h/db").unwrap().1, Mode::Disable);
        assert_eq!(
            split("postgres://h/db?sslmode=prefer").unwrap().1,
            Mode::Prefer
        );
        for (url, why) in [
            ("postgres://h/db?sslmode=allow", "expected disable"),
            ("postgres://h/db?sslrootcert=ca.pem", "needs sslmode"),
            (
                "postgres://h/db?sslmode=disable&sslrootcert=ca.pem",
                "sslmode=disable",
            ),
        ] {
            assert!(split(url).unwrap_err().contains(why), "{url}");
        }
    }
}
