//! Alerts by email, through an SMTP server (`--smtp-url`): over TLS
//! (`smtps://`, or STARTTLS on `smtp://` with a user or `?tls=required`),
//! signing in when the URL names a user; plain only to a relay without
//! sign-in (`smtp://host`), on this machine or a private network.

use super::{Sent, TIMEOUT};
use crate::store::DueDelivery;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::Path;

/// Where email goes out, from `--smtp-url`, `--smtp-from` and `--smtp-ca-file`.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protection {
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// STARTTLS, and no mail without it (`smtp://` with a user or
    /// `?tls=required`, port 587).
    StartTls,
    /// None: a relay without sign-in (`smtp://host`, port 25).
    Plain,
}

/// `--smtp-url`, read: where, how protected, and who signs in.
#[derive(Debug, PartialEq, Eq)]
struct Relay {
    host: String,
    port: u16,
    protection: Protection,
    /// User and password, percent-decoded.
    credentials: Option<(String, String)>,
}

/// The URL without its password, for messages.
fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

fn decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl Relay {
    fn parse(raw: &str) -> Result<Relay, String> {
        const EXPECTED: &str =
            "expected smtps://[user:password@]host[:465], smtp://user:password@host[:587] (STARTTLS) or smtp://host[:25]";
        let url = url::Url::parse(raw).map_err(|e| format!("--smtp-url: {e}; {EXPECTED}"))?;
        let shown = redacted(&url);
        let refused = |why: &str| format!("--smtp-url {shown}: {why}");
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(refused(&format!("no host; {EXPECTED}"))),
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(refused(EXPECTED));
        }
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "required") => tls = Some(Protection::StartTls),
                _ => {
                    return Err(refused(&format!(
                        "unknown parameter {key}={value}; only tls=required"
                    )))
                }
            }
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(password)) if !user.is_empty() => Some((decoded(user), decoded(password))),
            _ => return Err(refused("a user needs a password (user:password@host)")),
        };
        let protection = match url.scheme() {
            "smtps" if tls.is_none() => Protection::Tls,
            "smtps" => {
                return Err(refused(
                    "smtps:// is TLS already; tls=required is for smtp://",
                ))
            }
            "smtp" if credentials.is_some() => Protection::StartTls,
            "smtp" => tls.unwrap_or(Protection::Plain),
            other => return Err(refused(&format!("{other}:// is not SMTP; {EXPECTED}"))),
        };
        let port = url.port().unwrap_or(match protection {
            Protection::Tls => 465,
            Protection::StartTls => 587,
            Protection::Plain => 25,
        });
        Ok(Relay {
            host,
            port,
            protection,
            credentials,
        })
    }
}

impl Smtp {
    /// The SMTP server at `url` (see the module), sending as `from`;
    /// `ca_file` (PEM) is trusted besides the usual public roots.
    pub fn new(url: &str, from: &str, ca_file: Option<&Path>) -> Result<Smtp, String> {
        let relay = Relay::parse(url)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .timeout(Some(TIMEOUT));
        if relay.protection != Protection::Plain {
            let mut params = TlsParameters::builder(relay.host.clone());
            if let Some(file) = ca_file {
                let pem = std::fs::read(file)
                    .map_err(|e| format!("cannot read --smtp-ca-file {}: {e}", file.display()))?;
                let ca = Certificate::from_pem(&pem)
                    .map_err(|e| format!("--smtp-ca-file {}: {e}", file.display()))?;
                params = params.add_root_certificate(ca);
            }
            let params = params
                .build_rustls()
                .map_err(|e| format!("--smtp-url: TLS: {e}"))?;
            builder = builder.tls(match relay.protection {
                Protection::Tls => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        } else if ca_file.is_some() {
            return Err("--smtp-ca-file is for TLS: use smtps:// or smtp://…?tls=required".into());
        }
        if let Some((user, password)) = relay.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from = from
            .parse()
            .map_err(|e| format!("--smtp-from {from}: {e}"))?;
        Ok(Smtp {
            transport: builder.build(),
            from,
        })
    }

    /// One attempt at the email `d`.
    pub(super) async fn send(&self, d: &DueDelivery) -> Sent {
        #[derive(serde::Deserialize)]
        struct Mail {
            subject: String,
            text: String,
        }
        let Ok(mail) = serde_json::from_str::<Mail>(&d.payload) else {
            return Sent::failed("the email could not be read from the outbox");
        };
        let to = match d.target.parse::<Mailbox>() {
            Ok(to) => to,
            Err(e) => return Sent::failed(format!("not an email address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .body(mail.text);
        let message = match message {
            Ok(m) => m,
            Err(e) => return Sent::failed(e.to_string()),
        };
        match self.transport.send(message).await {
            Ok(answer) => Sent::delivered(u16::from(answer.code())),
            Err(e) => Sent::failed(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Protection, Relay};

    fn relay(url: &str) -> Relay {
        Relay::parse(url).unwrap()
    }

    #[test]
    fn the_url_says_how_mail_is_protected() {
        let r = relay("smtps://alerts%40example.com:p%40ss@mail.example.com");
        assert_eq!(
            (r.host.as_str(), r.port, r.protection),
            ("mail.example.com", 465, Protection::Tls)
        );
        assert_eq!(
            r.credentials,
            Some(("alerts@example.com".into(), "p@ss".into()))
        );
        let r = relay("smtp://user:pass@mail.example.com");
        assert_eq!((r.port, r.protection), (587, Protection::StartTls));
        let r = relay("smtp://user:pass@mail.example.com:2525");
        assert_eq!((r.port, r.protection), (2525, Protection::StartTls));
        let r = relay("smtp://relay.internal?tls=required");
        assert_eq!((r.port, r.protection), (587, Protection::StartTls));
        let r = relay("smtp://127.0.0.1:2525");
        assert_eq!(
            (r.host.as_str(), r.port, r.protection, r.credentials),
            ("127.0.0.1", 2525, Protection::Plain, None)
        );
        let r = relay("smtp://[::1]:25/");
        assert_eq!((r.host.as_str(), r.port), ("::1", 25));
    }

    #[test]
    fn a_password_never_travels_in_clear_and_never_shows_in_a_message() {
        for (url, why) in [
            ("smtp://user@mail.example.com", "needs a password"),
            ("smtps://mail.example.com?tls=required", "TLS already"),
            ("smtp://mail.example.com?tls=none", "unknown parameter"),
            ("http://mail.example.com", "is not SMTP"),
            ("smtp://mail.example.com/path", "expected"),
            ("smtp://", "no host"),
            ("mail.example.com:25", "expected"),
        ] {
            let e = Relay::parse(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
        let e = Relay::parse("smtp://user:secret@mail.example.com?tls=off").unwrap_err();
        assert!(!e.contains("secret") && e.contains("***"), "{e}");
    }
}
