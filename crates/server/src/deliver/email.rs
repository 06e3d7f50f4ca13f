//! Alerts by email: through an SMTP relay (`--smtp-url`), without TLS or sign-in.

use super::{Sent, TIMEOUT};
use crate::store::DueDelivery;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where email goes out, from `--smtp-url` and `--smtp-from`.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// An SMTP relay from its URL, `smtp://host[:port]` (port 25 by
    /// default): a relay on this machine or a private network, reached
    /// without TLS or sign-in.
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let refused = || format!("--smtp-url {url}: expected smtp://host[:port]");
        let rest = url.strip_prefix("smtp://").ok_or_else(refused)?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                (host, port.parse::<u16>().map_err(|_| refused())?)
            }
            _ => (rest, 25),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', '?']) {
            return Err(refused());
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(TIMEOUT))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("--smtp-from {from}: {e}"))?;
        Ok(Smtp { transport, from })
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
