//! Where alerts may be sent: webhook addresses, read as the HTTP client reads
//! them (WHATWG URL rules, the `url` crate), and the network addresses no
//! alert is ever sent to, checked again when the connection is made.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The longest webhook address accepted.
pub const MAX_WEBHOOK_URL: usize = 2_000;

/// A kind of network address alerts are never sent to: the server's own
/// network, not the receiver's (server-side request forgery).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedAddress {
    /// 127.0.0.0/8, ::1: this machine.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7.
    Private,
    /// 169.254/16 (with the cloud metadata address), fe80::/10.
    LinkLocal,
    /// 100.64/10, carrier-grade NAT.
    Shared,
    /// 0.0.0.0/8, `::`.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
}

impl RefusedAddress {
    /// What the address is, in words: "a private network address".
    pub fn words(self) -> &'static str {
        match self {
            RefusedAddress::Loopback => "an address of this machine",
            RefusedAddress::Private => "a private network address",
            RefusedAddress::LinkLocal => {
                "a link-local address (such as the cloud metadata service)"
            }
            RefusedAddress::Shared => "a shared (carrier-grade NAT) address",
            RefusedAddress::Unspecified => "an unspecified address",
            RefusedAddress::Multicast => "a multicast address",
            RefusedAddress::Broadcast => "the broadcast address",
        }
    }
}

/// Why alerts may not go to `ip`, if they may not; loopback only is allowed
/// with `allow_loopback` (`--allow-http-webhooks`, for tests).
///
/// ```
/// use billing_domain::{refused_address, RefusedAddress};
/// assert_eq!(refused_address("169.254.169.254".parse().unwrap(), false), Some(RefusedAddress::LinkLocal));
/// assert_eq!(refused_address("127.0.0.1".parse().unwrap(), true), None);
/// assert_eq!(refused_address("93.184.215.14".parse().unwrap(), false), None);
/// ```
pub fn refused_address(ip: IpAddr, allow_loopback: bool) -> Option<RefusedAddress> {
    let kind = match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_kind(v4),
            None => v6_kind(v6),
        },
    }?;
    (kind != RefusedAddress::Loopback || !allow_loopback).then_some(kind)
}

fn v4_kind(ip: Ipv4Addr) -> Option<RefusedAddress> {
    let [a, b, ..] = ip.octets();
    Some(match () {
        _ if ip.is_loopback() => RefusedAddress::Loopback,
        _ if ip.is_private() => RefusedAddress::Private,
        _ if ip.is_link_local() => RefusedAddress::LinkLocal,
        _ if a == 100 && (64..128).contains(&b) => RefusedAddress::Shared,
        _ if ip.is_broadcast() => RefusedAddress::Broadcast,
        _ if a == 0 => RefusedAddress::Unspecified,
        _ if ip.is_multicast() => RefusedAddress::Multicast,
        _ => return None,
    })
}

fn v6_kind(ip: Ipv6Addr) -> Option<RefusedAddress> {
    let first = ip.segments()[0];
    Some(match () {
        _ if ip.is_loopback() => RefusedAddress::Loopback,
        _ if ip.is_unspecified() => RefusedAddress::Unspecified,
        _ if first & 0xfe00 == 0xfc00 => RefusedAddress::Private,
        _ if first & 0xffc0 == 0xfe80 => RefusedAddress::LinkLocal,
        _ if ip.is_multicast() => RefusedAddress::Multicast,
        _ => return None,
    })
}

/// Why a webhook address is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookUrlError {
    /// Not a web address at all.
    NotAUrl,
    /// Not `https://` (`http://` is taken only to this machine, and only
    /// when `http_allowed`).
    NotHttps {
        /// Whether the server takes `http://` to this machine.
        http_allowed: bool,
    },
    /// A user name or password in the address.
    Credentials,
    /// Longer than [`MAX_WEBHOOK_URL`].
    TooLong,
    /// The host is (or resolves to) an address alerts are never sent to.
    Refused {
        /// The host as written, or the address it resolved to.
        host: String,
        /// What kind of address it is.
        kind: RefusedAddress,
    },
}

impl WebhookUrlError {
    /// The error's code in the API.
    pub fn code(&self) -> &'static str {
        "invalid_webhook_url"
    }

    /// In words, for people.
    pub fn message(&self) -> String {
        match self {
            WebhookUrlError::NotAUrl => {
                "That is not a web address: enter one like https://hooks.example.com/billing.".into()
            }
            WebhookUrlError::NotHttps { http_allowed: false } => {
                "Enter an address that starts with https://.".into()
            }
            WebhookUrlError::NotHttps { http_allowed: true } => {
                "Enter an address that starts with https:// (http:// only to this machine, for testing).".into()
            }
            WebhookUrlError::Credentials => {
                "Leave the user name and password out of the address: each alert is signed with the webhook's secret.".into()
            }
            WebhookUrlError::TooLong => "That address is too long (at most 2,000 characters).".into(),
            WebhookUrlError::Refused { host, kind } => format!(
                "Alerts are not sent to {host}: it is {}. Enter a public https:// address.",
                kind.words()
            ),
        }
    }
}

/// Checks a webhook address as the HTTP client will read it: `https://`
/// (or `http://` to this machine when `allow_http_loopback`), no user name or
/// password, and a host that is not an address alerts are never sent to
/// ([`refused_address`]; `localhost` counts as this machine). Answers the
/// address as the client will request it, so the check and the request
/// cannot read it differently. A name is checked again where it resolves,
/// when the connection is made.
///
/// ```
/// use billing_domain::webhook_url;
/// assert_eq!(webhook_url(" https://Hooks.Example.com/billing ", false).unwrap(), "https://hooks.example.com/billing");
/// assert!(webhook_url("http://127.0.0.1:9000/hook", true).is_ok());
/// assert!(webhook_url("http://127.0.0.1:9000/hook", false).is_err());
/// assert!(webhook_url("https://10.0.0.1/hook", false).is_err());
/// ```
pub fn webhook_url(text: &str, allow_http_loopback: bool) -> Result<String, WebhookUrlError> {
    let text = text.trim();
    if text.len() > MAX_WEBHOOK_URL {
        return Err(WebhookUrlError::TooLong);
    }
    let url = Url::parse(text).map_err(|_| WebhookUrlError::NotAUrl)?;
    let host = url.host().ok_or(WebhookUrlError::NotAUrl)?;
    let loopback_name = |name: &str| {
        let name = name.trim_end_matches('.');
        name == "localhost" || name.ends_with(".localhost")
    };
    let kind = match &host {
        Host::Ipv4(ip) => refused_address(IpAddr::V4(*ip), allow_http_loopback),
        Host::Ipv6(ip) => refused_address(IpAddr::V6(*ip), allow_http_loopback),
        Host::Domain(name) if loopback_name(name) && !allow_http_loopback => {
            Some(RefusedAddress::Loopback)
        }
        Host::Domain(_) => None,
    };
    let is_loopback = match &host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(name) => loopback_name(name),
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_http_loopback && is_loopback => {}
        _ => {
            return Err(WebhookUrlError::NotHttps {
                http_allowed: allow_http_loopback,
            })
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookUrlError::Credentials);
    }
    if let Some(kind) = kind {
        return Err(WebhookUrlError::Refused {
            host: host.to_string(),
            kind,
        });
    }
    let out = String::from(url);
    if out.len() > MAX_WEBHOOK_URL {
        return Err(WebhookUrlError::TooLong);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// schemathesis found a panic here once: a multi-byte character where
        /// the scheme would end.
        #[test]
        fn no_address_panics(s in "\\PC{0,40}", prefix in prop::sample::select(vec!["", "http://", "https://", "HTTP://", "http"]), allow in any::<bool>()) {
            let _ = webhook_url(&format!("{prefix}{s}"), allow);
        }

        /// Whatever is accepted reads back as itself: the client requests
        /// exactly what was checked.
        #[test]
        fn what_is_accepted_is_stable(s in "[a-z0-9./:@\\\\%-]{0,30}") {
            if let Ok(url) = webhook_url(&format!("https://{s}"), false) {
                prop_assert_eq!(webhook_url(&url, false), Ok(url.clone()));
            }
        }
    }

    fn refused(url: &str, allow: bool) -> Option<RefusedAddress> {
        match webhook_url(url, allow) {
            Err(WebhookUrlError::Refused { kind, .. }) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn public_https_addresses_are_taken() {
        for ok in [
            "https://hooks.example.com",
            " https://hooks.example.com/a?b=c ",
            "HTTPS://Hooks.Example.com/x",
            "https://93.184.215.14/hook",
            "https://[2606:4700::1111]/hook",
        ] {
            assert!(webhook_url(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn http_only_to_this_machine_and_only_when_allowed() {
        for ok in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
            "http://127.0.0.2:9000/",
        ] {
            assert!(webhook_url(ok, true).is_ok(), "{ok}");
            assert!(webhook_url(ok, false).is_err(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com",
            "http://127.0.0.1.evil.com/",
            "http://localhost.evil.com/",
            "http://10.0.0.1/",
        ] {
            assert!(
                matches!(
                    webhook_url(bad, true),
                    Err(WebhookUrlError::NotHttps { http_allowed: true })
                ),
                "{bad}"
            );
        }
    }

    /// The address the old check let through: it cut the host at the last
    /// `@` by hand, while a URL ends its host at the `\`.
    #[test]
    fn a_backslash_cannot_hide_the_host() {
        let url = r"http://127.0.0.2:9000\@localhost/";
        assert_eq!(
            webhook_url(url, false),
            Err(WebhookUrlError::NotHttps {
                http_allowed: false
            })
        );
        assert_eq!(
            webhook_url(url, true).unwrap(),
            "http://127.0.0.2:9000/@localhost/"
        );
        assert_eq!(
            refused(r"https://127.0.0.2:9000\@hooks.example.com/", false),
            Some(RefusedAddress::Loopback)
        );
    }

    #[test]
    fn private_link_local_and_other_internal_addresses_are_refused() {
        for (url, kind) in [
            ("https://169.254.169.254/latest/", RefusedAddress::LinkLocal),
            ("https://10.0.0.1/hook", RefusedAddress::Private),
            ("https://172.16.5.4/", RefusedAddress::Private),
            ("https://192.168.1.1/", RefusedAddress::Private),
            ("https://100.64.0.1/", RefusedAddress::Shared),
            ("https://0.0.0.0/", RefusedAddress::Unspecified),
            ("https://224.0.0.1/", RefusedAddress::Multicast),
            ("https://255.255.255.255/", RefusedAddress::Broadcast),
            ("https://[fd00::1]/", RefusedAddress::Private),
            ("https://[fe80::1]/", RefusedAddress::LinkLocal),
            ("https://[::ffff:10.0.0.1]/", RefusedAddress::Private),
            ("https://[::]/", RefusedAddress::Unspecified),
            ("https://127.0.0.1/", RefusedAddress::Loopback),
            ("https://localhost/", RefusedAddress::Loopback),
            ("https://0x7f000001/", RefusedAddress::Loopback),
            ("https://2130706433/", RefusedAddress::Loopback),
        ] {
            assert_eq!(refused(url, false), Some(kind), "{url}");
        }
        assert_eq!(
            refused("https://127.0.0.1/", true),
            None,
            "loopback when allowed"
        );
        assert_eq!(
            refused("https://10.0.0.1/", true),
            Some(RefusedAddress::Private)
        );
        let message = webhook_url("https://169.254.169.254/latest/", false)
            .unwrap_err()
            .message();
        assert_eq!(
            message,
            "Alerts are not sent to 169.254.169.254: it is a link-local address (such as the cloud metadata service). Enter a public https:// address."
        );
    }

    #[test]
    fn other_addresses_are_refused_with_their_reason() {
        for bad in [
            "",
            "hooks.example.com",
            "https://",
            "https://exa mple.com",
            "RXÞ]E+³öÑ¢",
            "ht³",
        ] {
            assert_eq!(
                webhook_url(bad, true),
                Err(WebhookUrlError::NotAUrl),
                "{bad}"
            );
        }
        for bad in [
            "ftp://hooks.example.com",
            "javascript:alert(1)",
            "httpsé://x",
        ] {
            assert!(webhook_url(bad, true).is_err(), "{bad}");
        }
        assert_eq!(
            webhook_url("https://user:pw@hooks.example.com/", false),
            Err(WebhookUrlError::Credentials)
        );
        assert_eq!(
            webhook_url(&format!("https://a.example/{}", "x".repeat(2_000)), false),
            Err(WebhookUrlError::TooLong)
        );
    }
}
