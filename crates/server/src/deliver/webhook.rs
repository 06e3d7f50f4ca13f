//! Alerts by webhook: signed as Standard Webhooks says, and sent only where
//! alerts may go. The address is checked again before each attempt (as it
//! was registered: [`webhook_url`]), and every address a name resolves to is
//! checked when the connection is made ([`refused_address`]), so a public name
//! that resolves to a private address reaches nothing. No redirects are
//! followed, no answer is read beyond its status, and an attempt has 10 s.

use super::{Sent, TIMEOUT};
use crate::store::DueDelivery;
use base64::Engine;
use billing_domain::{refused_address, webhook_url, RefusedAddress};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// Signs a webhook as the Standard Webhooks specification says: HMAC-SHA256
/// with the secret's key over `{id}.{timestamp}.{body}`, in base64, `v1,`-prefixed.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A name's addresses, as the system resolver answers them.
type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    })
}

/// Why a connection was not made: every address the name resolved to is one
/// alerts are never sent to.
#[derive(Debug)]
pub struct Refused {
    host: String,
    ip: IpAddr,
    kind: RefusedAddress,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not sent: {} resolves to {}, {}",
            self.host,
            self.ip,
            self.kind.words()
        )
    }
}

impl std::error::Error for Refused {}

/// The addresses of `host` alerts may go to; refused if there are none.
fn allowed(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, Refused> {
    let mut refused = None;
    let kept: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match refused_address(a.ip(), allow_loopback) {
            None => true,
            Some(kind) => {
                refused.get_or_insert((a.ip(), kind));
                false
            }
        })
        .collect();
    match (kept.is_empty(), refused) {
        (false, _) => Ok(kept),
        (true, Some((ip, kind))) => Err(Refused {
            host: host.into(),
            ip,
            kind,
        }),
        (true, None) => Ok(kept),
    }
}

/// The HTTP client's resolver: the system's, with refused addresses removed.
struct Guarded {
    lookup: Lookup,
    allow_loopback: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let found = (self.lookup)(host.clone());
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addrs = allowed(&host, found.await?, allow_loopback)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The platform's billing webhook, set by the operator (`--platform-webhook-url`,
/// `--platform-webhook-secret-file`): usually internal, so the owners'
/// address rules do not apply to it.
#[derive(Clone, Debug)]
pub struct PlatformWebhook {
    /// `http://` or `https://`, private addresses allowed.
    pub url: String,
    /// `whsec_…`: what its deliveries are signed with.
    pub secret: String,
}

impl PlatformWebhook {
    /// Checks what the operator gave: a URL and a Standard Webhooks secret.
    pub fn new(url: &str, secret: &str) -> Result<PlatformWebhook, String> {
        let parsed =
            url::Url::parse(url).map_err(|e| format!("--platform-webhook-url {url}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!(
                "--platform-webhook-url {url}: expected http:// or https:// and a host"
            ));
        }
        let secret = secret.trim();
        if sign(secret, "msg_check", 0, "").is_none() {
            return Err(
                "the platform webhook secret must be whsec_ and base64, as Standard Webhooks says"
                    .into(),
            );
        }
        Ok(PlatformWebhook {
            url: parsed.to_string(),
            secret: secret.to_string(),
        })
    }
}

/// Sends webhooks; `allow_http_loopback` is `--allow-http-webhooks`.
pub struct Webhooks {
    http: reqwest::Client,
    allow_http_loopback: bool,
    /// The platform's webhook and the client that reaches it (any address).
    platform: Option<(PlatformWebhook, reqwest::Client)>,
}

impl Webhooks {
    pub fn new(allow_http_loopback: bool, platform: Option<PlatformWebhook>) -> Webhooks {
        let mut hooks = Webhooks::with_lookup(allow_http_loopback, system_lookup());
        hooks.platform = platform.map(|p| {
            let http = reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .user_agent("billing-webhooks/1")
                .build()
                .unwrap_or_default();
            (p, http)
        });
        hooks
    }

    fn with_lookup(allow_http_loopback: bool, lookup: Lookup) -> Webhooks {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(Guarded {
                lookup,
                allow_loopback: allow_http_loopback,
            }))
            .user_agent("billing-webhooks/1")
            .build()
            .unwrap_or_default();
        Webhooks {
            http,
            allow_http_loopback,
            platform: None,
        }
    }

    /// One attempt at the webhook `d`.
    pub(super) async fn send(&self, d: &DueDelivery) -> Sent {
        if d.to_platform {
            return match &self.platform {
                // The operator's address, as given: where it is now.
                Some((hook, http)) => post(http, &hook.url, &hook.secret, d).await,
                None => Sent::failed(
                    "the server has no platform webhook now (no --platform-webhook-url)",
                ),
            };
        }
        let Some(secret) = &d.secret else {
            return Sent::failed("the webhook endpoint was removed");
        };
        // As registered, under this server's rules now: an address refused
        // since (or stored by hand) is not attempted.
        let url = match webhook_url(&d.target, self.allow_http_loopback) {
            Ok(url) => url,
            Err(e) => return Sent::failed(e.message()),
        };
        post(&self.http, &url, secret, d).await
    }
}

/// One signed POST of `d` to `url`.
async fn post(http: &reqwest::Client, url: &str, secret: &str, d: &DueDelivery) -> Sent {
    let timestamp = chrono::Utc::now().timestamp();
    let Some(signature) = sign(secret, &d.event_id, timestamp, &d.payload) else {
        return Sent::failed("the signing secret is not valid");
    };
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.payload.clone())
        .send()
        .await;
    // The answer's body is never read: its status says it all.
    match sent {
        Ok(r) if r.status().is_success() => Sent::delivered(r.status().as_u16()),
        Ok(r) => Sent {
            status: Some(r.status().as_u16()),
            error: Some(format!("the receiver answered {}", r.status())),
        },
        Err(e) => Sent::failed(failure(&e)),
    }
}

/// A failed request in words: what people can act on.
fn failure(e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return refused.to_string();
        }
        source = cause.source();
    }
    if e.is_timeout() {
        "no answer within 10 s".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example.
    #[test]
    fn signatures_match_the_specification() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_are_new_each_time_and_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(sign(&a, "msg_1", 1, "{}").is_some());
    }

    fn at(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 443)
    }

    #[test]
    fn refused_addresses_are_dropped_from_what_a_name_resolves_to() {
        let kept = allowed(
            "hooks.example.com",
            vec![at("10.0.0.5"), at("93.184.215.14")],
            false,
        );
        assert_eq!(kept.unwrap(), vec![at("93.184.215.14")]);
        let refused = allowed(
            "hooks.example.com",
            vec![at("10.0.0.5"), at("169.254.169.254")],
            false,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "not sent: hooks.example.com resolves to 10.0.0.5, a private network address"
        );
        assert!(allowed("localhost", vec![at("127.0.0.1")], false).is_err());
        assert_eq!(
            allowed("localhost", vec![at("127.0.0.1")], true).unwrap(),
            vec![at("127.0.0.1")]
        );
        assert!(allowed("x", vec![at("::ffff:192.168.1.1")], true).is_err());
    }

    fn due(target: &str) -> DueDelivery {
        DueDelivery {
            id: 1,
            event_id: "msg_1".into(),
            channel: billing_domain::Channel::Webhook,
            target: target.into(),
            payload: "{}".into(),
            created_at: chrono::Utc::now(),
            secret: Some(new_secret()),
            attempts: 0,
            to_platform: false,
        }
    }

    /// A public name that resolves to the metadata service or a private
    /// network: the client refuses at connect time, and says why. Nothing is
    /// sent anywhere (the resolver answers no address to connect to).
    #[tokio::test]
    async fn a_public_name_resolving_to_a_private_address_is_refused_at_connect_time() {
        let lookup: Lookup = Arc::new(|host: String| {
            Box::pin(async move {
                Ok(match host.as_str() {
                    "metadata.example.com" => vec![at("169.254.169.254")],
                    _ => vec![at("10.0.0.5"), at("192.168.1.9")],
                })
            })
        });
        let hooks = Webhooks::with_lookup(true, lookup);
        let sent = hooks.send(&due("https://hooks.example.com/billing")).await;
        assert_eq!(sent.status, None);
        assert_eq!(
            sent.error.as_deref(),
            Some("not sent: hooks.example.com resolves to 10.0.0.5, a private network address")
        );
        let sent = hooks
            .send(&due("https://metadata.example.com/latest/"))
            .await;
        assert_eq!(
            sent.error.as_deref(),
            Some("not sent: metadata.example.com resolves to 169.254.169.254, a link-local address (such as the cloud metadata service)")
        );
    }

    /// An address stored before the rules (or by hand) is not attempted.
    #[tokio::test]
    async fn a_refused_address_in_the_outbox_is_a_failed_attempt_that_says_why() {
        let hooks = Webhooks::new(false, None);
        for (target, why) in [
            ("https://10.0.0.1/hook", "it is a private network address"),
            (
                "https://169.254.169.254/latest/",
                "it is a link-local address",
            ),
            (
                "http://127.0.0.1:9/hook",
                "Enter an address that starts with https://",
            ),
        ] {
            let sent = hooks.send(&due(target)).await;
            assert_eq!(sent.status, None, "{target}");
            let error = sent.error.unwrap();
            assert!(error.contains(why), "{target}: {error}");
        }
    }
}
